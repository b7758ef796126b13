import type { AuditEventRecord, AuditQuery, NewAuditEvent } from '../../audit/audit-event.js';
import type { AuditRepository } from '../store.js';
import { AUDIT_EVENT, columns } from './columns.js';
import { chunks, valueRows, type SqlDriver } from './sql-driver.js';

const AUDIT_COLUMNS = columns(AUDIT_EVENT);

/** The audit trail. `detail` is JSON: JSONB on PostgreSQL (read back parsed), text on SQLite. */
export class SqlAudit implements AuditRepository {
  constructor(private readonly db: SqlDriver) {}

  async append(events: NewAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const chunk of chunks(events)) {
        await tx.run(
          `INSERT INTO audit_events (at, type, user_id, actor, ip, user_agent, detail) VALUES ${valueRows(chunk.length, 7)}`,
          chunk.flatMap((e) => [e.at, e.type, e.userId, e.actor, e.ip, e.userAgent, e.detail === null ? null : JSON.stringify(e.detail)]),
        );
      }
    });
  }

  async query(query: AuditQuery): Promise<AuditEventRecord[]> {
    const { where, params } = auditFilter(query);
    const rows = await this.db.all<Omit<AuditEventRecord, 'detail'> & { detail: unknown }>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events ${where} ORDER BY id DESC LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map((row) => ({ ...row, detail: typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail })) as AuditEventRecord[];
  }

  async countUsers(types: readonly string[], since: number): Promise<{ byType: Record<string, number>; total: number }> {
    const byType: Record<string, number> = Object.fromEntries(types.map((type) => [type, 0]));
    if (types.length === 0) return { byType, total: 0 };
    const where = `WHERE type IN (${types.map(() => '?').join(', ')}) AND at >= ? AND user_id IS NOT NULL`;
    const [rows, all] = await Promise.all([
      this.db.all<{ type: string; users: number | string }>(`SELECT type, COUNT(DISTINCT user_id) AS "users" FROM audit_events ${where} GROUP BY type`, [...types, since]),
      this.db.get<{ users: number | string }>(`SELECT COUNT(DISTINCT user_id) AS "users" FROM audit_events ${where}`, [...types, since]),
    ]);
    for (const row of rows) byType[row.type] = Number(row.users);
    return { byType, total: Number(all?.users ?? 0) };
  }

  prune(before: number): Promise<number> {
    return this.db.transaction((tx) => tx.run('DELETE FROM audit_events WHERE at < ?', [before]), { maintenance: true });
  }
}

/** The WHERE clause and parameters of an audit query. */
function auditFilter(query: AuditQuery): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    conditions.push(sql);
    params.push(value);
  };
  if (query.userId !== undefined) add('user_id = ?', query.userId);
  if (query.type !== undefined) add('type = ?', query.type);
  if (query.since !== undefined) add('at >= ?', query.since);
  if (query.until !== undefined) add('at < ?', query.until);
  if (query.beforeId !== undefined) add('id < ?', query.beforeId);
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
