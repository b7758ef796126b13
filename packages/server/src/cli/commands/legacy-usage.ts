import type { Command } from 'commander';
import { withTessera } from '../context.js';
import type { CliIo } from '../io.js';
import { integerOption } from '../options.js';
import { isoTime, printRows } from '../output.js';
import { registerLegacyNotify } from './legacy-notify.js';

export function registerLegacyUsage(program: Command, io: CliIo): Command {
  const legacyUsage = program
    .command('legacy-usage')
    .enablePositionalOptions()
    .description('who still uses session cookies: requests per user and client (User-Agent), most recent first')
    .option('--days <n>', 'only clients seen in the last N days', integerOption('--days', 1, 3650), 30)
    .option('--json', 'print JSON')
    .action(async (options: { days: number; json?: boolean }) => {
      const usage = await withTessera(io, (t) => t.admin.rollout.legacyUsage(options.days));
      const rows = usage.map((u) => ({
        username: u.username,
        user_id: u.userId,
        user_agent: u.userAgent === '' ? null : u.userAgent,
        requests: u.requestCount,
        first_seen: isoTime(u.firstSeen),
        last_seen: isoTime(u.lastSeen),
      }));
      printRows(io, rows, ['username', 'user_agent', 'requests', 'first_seen', 'last_seen'], Boolean(options.json));
    });
  registerLegacyNotify(legacyUsage, io);
  return legacyUsage;
}
