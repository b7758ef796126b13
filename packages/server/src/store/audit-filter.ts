import type { AuditQuery } from './store.js';

/** Columns of an audit event, aliased to the record's field names (quoted for PostgreSQL). */
export const auditColumns = (quote: (name: string) => string) =>
  `id, at, type, user_id AS ${quote('userId')}, actor, ip, user_agent AS ${quote('userAgent')}, detail`;

/**
 * The WHERE clause and parameters of an audit query, shared by both stores; `placeholder(n)` renders
 * the n-th parameter (`?` for SQLite, `$n` for PostgreSQL).
 */
export function auditFilter(query: AuditQuery, placeholder: (n: number) => string): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', placeholder(params.length)));
  };
  if (query.userId !== undefined) add('user_id = ?', query.userId);
  if (query.type !== undefined) add('type = ?', query.type);
  if (query.since !== undefined) add('at >= ?', query.since);
  if (query.until !== undefined) add('at < ?', query.until);
  if (query.beforeId !== undefined) add('id < ?', query.beforeId);
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
