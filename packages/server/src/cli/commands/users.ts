import type { Command } from 'commander';
import { CLI_ACTOR } from '../../admin/actor.js';
import { normalizeUsername } from '../../users/username.js';
import { hasVerifiedEmail, type PublicUser } from '../../users/user.js';
import { withOperations } from '../context.js';
import { CliError, readStdin, type CliIo } from '../io.js';
import { isoTime, printRecord, printRows } from '../output.js';
import { integerOption } from '../options.js';
import { endedSummary } from '../ended-summary.js';
import { importUsersFrom } from './users-import.js';

/** How long `users unlock` waits for Redis, where the counters it clears live. */
const REDIS_WAIT_MS = 3_000;

export const userRow = (user: PublicUser) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  email: user.email,
  email_verified: hasVerifiedEmail(user),
  created_at: isoTime(user.createdAt),
  disabled_at: isoTime(user.disabledAt),
});

/** A password from --password, else standard input (which stays out of shell history). */
async function passwordFrom(io: CliIo, option: string | undefined): Promise<string> {
  const password = option ?? (await readStdin(io));
  if (!password) throw new CliError('a password is required: pass --password or pipe it on standard input');
  return password;
}

export function registerUsers(program: Command, io: CliIo): Command {
  const users = program.command('users').description('manage user accounts');

  users
    .command('add')
    .description('create a user; without --password the password is read from standard input')
    .argument('<username>')
    .option('--role <role>', 'role of the new user', 'user')
    .option('--email <address>', "the user's email address (for notices such as the session sunset)")
    .option('--password <password>', 'password (prefer standard input: command lines end up in shell history)')
    .option('--json', 'print JSON')
    .action(async (username: string, options: { role: string; email?: string; password?: string; json?: boolean }) => {
      const password = await passwordFrom(io, options.password);
      const account = { username, password, role: options.role, email: options.email ?? null };
      const user = await withOperations(io, (t) => t.admin.accounts.create(account, CLI_ACTOR));
      printRecord(io, userRow(user), Boolean(options.json));
    });

  users
    .command('list')
    .description('list users, oldest first')
    .option('--limit <n>', 'how many', integerOption('--limit', 1, 10_000), 100)
    .option('--offset <n>', 'how many to skip', integerOption('--offset', 0), 0)
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; offset: number; json?: boolean }) => {
      const { users: page } = await withOperations(io, (t) => t.users.list({ limit: options.limit, offset: options.offset }));
      printRows(io, page.map(userRow), ['id', 'username', 'role', 'email', 'email_verified', 'created_at', 'disabled_at'], Boolean(options.json));
    });

  users
    .command('disable')
    .description('disable an account: logins and refreshes are refused and every token of the user is revoked at once')
    .argument('<username>')
    .option('--json', 'print the user as JSON')
    .action(async (username: string, options: { json?: boolean }) => {
      const user = await withOperations(io, async (t) => {
        const found = await t.admin.accounts.getByUsername(username);
        return t.admin.accounts.setDisabled(found.id, true, CLI_ACTOR);
      });
      const ended = user.ended ?? { families: 0, accessTokens: 0, sessions: 0 };
      if (options.json) printRecord(io, { ...userRow(user), ...endedSummary.json(ended) }, true);
      else io.stdout.write(`disabled ${user.username}: logins refused; signed out everywhere (${endedSummary.text(ended)})\n`);
    });

  users
    .command('enable')
    .description('enable a disabled account again (the user logs in anew)')
    .argument('<username>')
    .option('--json', 'print the user as JSON')
    .action(async (username: string, options: { json?: boolean }) => {
      const user = await withOperations(io, async (t) => {
        const found = await t.admin.accounts.getByUsername(username);
        return t.admin.accounts.setDisabled(found.id, false, CLI_ACTOR);
      });
      if (options.json) printRecord(io, userRow(user), true);
      else io.stdout.write(`enabled ${user.username}\n`);
    });

  users
    .command('set-role')
    .description("change a user's role; their access tokens are revoked so it applies at once, and their next refresh carries the new role")
    .argument('<username>')
    .argument('<role>')
    .option('--json', 'print the user as JSON')
    .action(async (username: string, role: string, options: { json?: boolean }) => {
      const user = await withOperations(io, async (t) => {
        const found = await t.admin.accounts.getByUsername(username);
        return t.admin.accounts.setRole(found.id, role, CLI_ACTOR);
      });
      if (options.json) printRecord(io, userRow(user), true);
      else io.stdout.write(`${user.username} now has role ${user.role}\n`);
    });

  users
    .command('set-email')
    .description("set a user's email address, or remove it with --clear; nobody is signed out")
    .argument('<username>')
    .argument('[address]')
    .option('--clear', 'remove the address')
    .option('--json', 'print the user as JSON')
    .action(async (username: string, address: string | undefined, options: { clear?: boolean; json?: boolean }) => {
      if ((address === undefined) === !options.clear) throw new CliError('give either an address or --clear');
      const user = await withOperations(io, async (t) => {
        const found = await t.admin.accounts.getByUsername(username);
        return t.admin.accounts.setEmail(found.id, address ?? null, CLI_ACTOR);
      });
      if (options.json) printRecord(io, userRow(user), true);
      else io.stdout.write(user.email === null ? `${user.username} has no email address\n` : `${user.username} now has email ${user.email}\n`);
    });

  users
    .command('reset-password')
    .description('set a new password and sign the user out everywhere; without --password it is read from standard input')
    .argument('<username>')
    .option('--password <password>', 'new password (prefer standard input: command lines end up in shell history)')
    .option('--json', 'print JSON')
    .action(async (username: string, options: { password?: string; json?: boolean }) => {
      const password = await passwordFrom(io, options.password);
      const { user, ended } = await withOperations(io, async (t) => {
        const found = await t.admin.accounts.getByUsername(username);
        return { user: found, ended: await t.admin.accounts.resetPassword(found.id, password, CLI_ACTOR) };
      });
      if (options.json) printRecord(io, { username: user.username, ...endedSummary.json(ended) }, true);
      else io.stdout.write(`password of ${user.username} reset; signed out everywhere (${endedSummary.text(ended)})\n`);
    });

  users
    .command('unlock')
    .description(
      "forget an account's failed logins: its slowdown and every per-IP refusal end (names that do not exist are throttled too, so any name is accepted)",
    )
    .argument('<username>')
    .option('--json', 'print JSON')
    .action(async (username: string, options: { json?: boolean }) => {
      const account = normalizeUsername(username);
      const { cleared, shared } = await withOperations(io, async (t) => {
        if (t.fleet) {
          await t.fleet.whenCountersReady(REDIS_WAIT_MS).catch(() => {
            throw new CliError(`Redis at REDIS_URL does not answer: nothing was unlocked`);
          });
        }
        // Without Redis the counts are in each server's memory: the unlock reaches them through the database.
        return { cleared: await t.admin.loginThrottle.unlock(account, CLI_ACTOR), shared: t.fleet !== undefined };
      });
      if (!shared) {
        if (options.json) printRecord(io, { username: account, failures_cleared: null, applies_within_seconds: 2 }, true);
        else io.stdout.write(`unlocked ${account}: every server forgets its failed logins within 2 seconds\n`);
      } else if (options.json) printRecord(io, { username: account, failures_cleared: cleared.failures }, true);
      else io.stdout.write(`unlocked ${account}: ${cleared.failures} failed login(s) forgotten, no delay, no IP refused\n`);
    });

  users
    .command('import')
    .description(
      'import users with their existing password hashes (bcrypt, argon2, scrypt, PBKDF2) from JSON lines or CSV; running it again updates, never duplicates',
    )
    .argument('<file>', 'the file to import, or - for standard input')
    .option('--dry-run', 'check every line and report what would change, writing nothing')
    .option('--format <format>', 'jsonl or csv (default: from the file name, else from its first character)')
    .option('--json', 'print the report as JSON')
    .action((file: string, options: { dryRun?: boolean; format?: string; json?: boolean }) => importUsersFrom(io, file, options));

  return users;
}
