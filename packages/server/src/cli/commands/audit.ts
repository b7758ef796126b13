import type { Command } from 'commander';
import type { AuditEventRecord } from '../../audit/audit-event.js';
import type { Operations } from '../../operations.js';
import { withOperations } from '../context.js';
import type { CliIo } from '../io.js';
import { isoTime, printRows } from '../output.js';
import { integerOption } from '../options.js';

interface AuditOptions {
  user?: string;
  type?: string;
  since?: string;
  until?: string;
  before?: number;
  limit: number;
  json?: boolean;
}

/** `tessera audit`: the audit trail, newest first, filtered by user, event type and time. */
export function registerAudit(program: Command, io: CliIo): Command {
  return program
    .command('audit')
    .description('read the audit trail, newest first (logins, refreshes, reuse, logouts, rate limits, admin actions)')
    .option('--user <username>', 'only events about this user')
    .option('--type <type>', 'only events of this type, e.g. login.failure, token.reuse_detected, admin.user.disable')
    .option('--since <time>', 'ISO 8601 time: events at or after it, e.g. 2026-01-31T12:00:00Z')
    .option('--until <time>', 'ISO 8601 time: events before it')
    .option('--before <id>', 'only events with a smaller id (the next page)', integerOption('--before', 1))
    .option('--limit <n>', 'how many', integerOption('--limit', 1, 10_000), 50)
    .option('--json', 'print JSON')
    .action(async (options: AuditOptions) => {
      const rows = await withOperations(io, async (t) => {
        const events = await t.admin.audit.search({
          username: options.user,
          type: options.type,
          since: options.since,
          until: options.until,
          beforeId: options.before,
          limit: options.limit,
        });
        return withUsernames(t, events);
      });
      printRows(io, rows, ['id', 'at', 'type', 'user', 'actor', 'ip', 'user_agent', 'detail'], Boolean(options.json));
    });
}

/** Rows for people and scripts alike: user and actor by name where they are users, ids otherwise. */
async function withUsernames(t: Operations, events: AuditEventRecord[]) {
  const names = new Map<string, string>();
  const nameOf = async (id: string | null) => {
    if (id === null) return null;
    if (!names.has(id)) names.set(id, (await t.store.users.findById(id))?.username ?? id);
    return names.get(id)!;
  };
  const rows = [];
  for (const event of events) {
    rows.push({
      id: event.id,
      at: isoTime(event.at),
      type: event.type,
      user: await nameOf(event.userId),
      user_id: event.userId,
      actor: await nameOf(event.actor),
      ip: event.ip,
      user_agent: event.userAgent,
      detail: event.detail,
    });
  }
  return rows;
}
