import type { Command } from 'commander';
import { withOperations } from '../context.js';
import type { CliIo } from '../io.js';
import { integerOption } from '../options.js';
import type { MovedUsers } from '../../admin/rollout.js';
import { isoTime, printRecord, printRows } from '../output.js';
import { registerLegacyNotify } from './legacy-notify.js';

export function registerLegacyUsage(program: Command, io: CliIo): Command {
  const legacyUsage = program
    .command('legacy-usage')
    .enablePositionalOptions()
    .description('who still uses session cookies: requests per user and client (User-Agent), most recent first')
    .option('--days <n>', 'only clients seen in the last N days', integerOption('--days', 1, 3650), 30)
    .option('--moved', 'print only how many users moved over from your app in those days, and how')
    .option('--json', 'print JSON')
    .action(async (options: { days: number; moved?: boolean; json?: boolean }) => {
      const [usage, moved] = await withOperations(io, (t) => Promise.all([t.admin.rollout.legacyUsage(options.days), t.admin.rollout.movedUsers(options.days)]));
      if (options.moved) {
        if (options.json) printRecord(io, movedRecord(moved), true);
        else io.stdout.write(`${movedLine(moved)}\n`);
        return;
      }
      const rows = usage.map((u) => ({
        username: u.username,
        user_id: u.userId,
        user_agent: u.userAgent === '' ? null : u.userAgent,
        requests: u.requestCount,
        first_seen: isoTime(u.firstSeen),
        last_seen: isoTime(u.lastSeen),
      }));
      printRows(io, rows, ['username', 'user_agent', 'requests', 'first_seen', 'last_seen'], Boolean(options.json));
      if (!options.json) io.stdout.write(`${movedLine(moved)}\n`);
    });
  registerLegacyNotify(legacyUsage, io);
  return legacyUsage;
}

function movedRecord(moved: MovedUsers) {
  return { days: moved.days, since: isoTime(moved.since), handed_off: moved.handedOff, lazily_migrated: moved.lazilyMigrated, rehashed: moved.rehashed, total: moved.total };
}

function movedLine(moved: MovedUsers): string {
  return (
    `moved over in the last ${moved.days} day${moved.days === 1 ? '' : 's'}: ${moved.total} user${moved.total === 1 ? '' : 's'} ` +
    `(${moved.handedOff} handed off by your app, ${moved.lazilyMigrated} lazily migrated, ${moved.rehashed} re-hashed at login)`
  );
}
