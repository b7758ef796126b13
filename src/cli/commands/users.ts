import type { Command } from 'commander';
import type { PublicUser } from '../../store/store.js';
import { withTessera } from '../context.js';
import { CliError, readStdin, type CliIo } from '../io.js';
import { isoTime, printRecord, printRows } from '../output.js';
import { integerOption } from '../options.js';

export const userRow = (user: PublicUser) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  created_at: isoTime(user.createdAt),
  disabled_at: isoTime(user.disabledAt),
});

export function registerUsers(program: Command, io: CliIo): Command {
  const users = program.command('users').description('manage user accounts');

  users
    .command('add')
    .description('create a user; without --password the password is read from standard input')
    .argument('<username>')
    .option('--role <role>', 'role of the new user', 'user')
    .option('--password <password>', 'password (prefer standard input: command lines end up in shell history)')
    .option('--json', 'print JSON')
    .action(async (username: string, options: { role: string; password?: string; json?: boolean }) => {
      const password = options.password ?? (await readStdin(io));
      if (!password) throw new CliError('a password is required: pass --password or pipe it on standard input');
      const user = await withTessera(io, async (t) => {
        const created = await t.users.create({ username, password, role: options.role });
        t.audit.record({ type: 'admin.user.create', userId: created.id, actor: 'cli', detail: { username: created.username, role: created.role } });
        return created;
      });
      printRecord(io, userRow(user), Boolean(options.json));
    });

  users
    .command('list')
    .description('list users, oldest first')
    .option('--limit <n>', 'how many', integerOption('--limit', 1, 10_000), 100)
    .option('--offset <n>', 'how many to skip', integerOption('--offset', 0), 0)
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; offset: number; json?: boolean }) => {
      const { users: page } = await withTessera(io, (t) => t.users.list({ limit: options.limit, offset: options.offset }));
      printRows(io, page.map(userRow), ['id', 'username', 'role', 'created_at', 'disabled_at'], Boolean(options.json));
    });

  return users;
}
