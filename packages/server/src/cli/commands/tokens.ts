import type { Command } from 'commander';
import { CLI_ACTOR } from '../../admin/actor.js';
import type { SignOutResult } from '../../admin/devices.js';
import type { FamilyRecord } from '../../tokens/refresh-family.js';
import { withOperations } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { isoTime, printRecord, printRows } from '../output.js';
import { endedSummary } from '../ended-summary.js';

const familyRow = (family: FamilyRecord) => ({
  family: family.id,
  created_at: isoTime(family.createdAt),
  last_used_at: isoTime(family.lastUsedAt),
  ip: family.ip,
  user_agent: family.userAgent,
});

/** `tessera tokens list|revoke`: a user's logged-in devices (refresh-token families) and signing them out. */
export function registerTokens(program: Command, io: CliIo): Command {
  const tokens = program
    .command('tokens')
    .description("a user's logged-in devices (one refresh-token family per login) and revoking them");

  tokens
    .command('list')
    .description("list a user's active refresh-token families, most recently used first")
    .requiredOption('--user <username>', 'whose devices')
    .option('--json', 'print JSON')
    .action(async (options: { user: string; json?: boolean }) => {
      const families = await withOperations(io, async (t) => t.admin.devices.list((await t.admin.accounts.getByUsername(options.user)).id));
      printRows(io, families.map(familyRow), ['family', 'created_at', 'last_used_at', 'ip', 'user_agent'], Boolean(options.json));
    });

  tokens
    .command('revoke')
    .description(
      'sign out: --user ends every family, access token and session of the user; --all ends everyone\'s; ' +
        '--family revokes one device. Running servers refuse them within a second (at once with Redis)',
    )
    .option('--user <username>', 'sign this user out everywhere')
    .option('--all', 'sign every user out everywhere (a global valid-after instant)')
    .option('--family <id>', 'sign out only this refresh-token family (one device)')
    .option('--json', 'print JSON')
    .action(async (options: { user?: string; all?: boolean; family?: string; json?: boolean }) => {
      const chosen = [options.user !== undefined, options.all === true, options.family !== undefined].filter(Boolean).length;
      if (chosen !== 1) {
        throw new CliError('give one of --user USERNAME (every credential of the user), --all (everyone) or --family ID (one device)');
      }
      const { result, what } = await withOperations(io, async (t) => {
        if (options.user !== undefined) {
          const user = await t.admin.accounts.getByUsername(options.user);
          return { result: await t.admin.devices.signOutEverywhere(user.id, CLI_ACTOR), what: `signed ${user.username} out everywhere` };
        }
        if (options.all) return { result: await t.admin.devices.signOutEveryone(CLI_ACTOR), what: 'signed everyone out' };
        const signedOut = await t.admin.devices.signOut(options.family!, CLI_ACTOR);
        return { result: signedOut as SignOutResult, what: `revoked family ${signedOut.family.id}` };
      });
      if (options.json) {
        printRecord(io, endedSummary.json(result), true);
        return;
      }
      io.stdout.write(`${what}: ${endedSummary.text(result)}\n`);
    });

  return tokens;
}
