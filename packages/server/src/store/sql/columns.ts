/**
 * Column lists, aliased to the record fields (quoted, so PostgreSQL keeps their case). `columns(map, 't')`
 * qualifies them with a table alias; `prefix` names them `prefix.field` for a join that `unprefixer` splits.
 */
type ColumnMap = Readonly<Record<string, string>>;

export const USER: ColumnMap = {
  id: 'id', username: 'username', role: 'role', passwordHash: 'password_hash', email: 'email', emailVerifiedAt: 'email_verified_at', createdAt: 'created_at',
  updatedAt: 'updated_at', disabledAt: 'disabled_at',
};
export const PUBLIC_USER: ColumnMap = Object.fromEntries(Object.entries(USER).filter(([field]) => field !== 'passwordHash'));
export const SIGNING_KEY: ColumnMap = {
  kid: 'kid', use: 'use', alg: 'alg', publicJwk: 'public_jwk', sealedKey: 'sealed_key', createdAt: 'created_at',
  rotatedOutAt: 'rotated_out_at', expiresAt: 'expires_at',
};
export const FAMILY: ColumnMap = {
  id: 'id', userId: 'user_id', createdAt: 'created_at', lastUsedAt: 'last_used_at', ip: 'ip', userAgent: 'user_agent',
  revokedAt: 'revoked_at', revokeReason: 'revoke_reason', serviceClientId: 'service_client_id',
  authTime: 'auth_time',
};
export const REFRESH_TOKEN: ColumnMap = {
  id: 'id', familyId: 'family_id', userId: 'user_id', tokenHash: 'token_hash', parentId: 'parent_id',
  issuedAt: 'issued_at', expiresAt: 'expires_at', rotatedAt: 'rotated_at', successorId: 'successor_id',
};
export const SESSION: ColumnMap = {
  id: 'id', userId: 'user_id', createdAt: 'created_at', lastSeenAt: 'last_seen_at', expiresAt: 'expires_at',
  endedAt: 'ended_at', ip: 'ip', userAgent: 'user_agent',
};
export const ACCESS_TOKEN: ColumnMap = { jti: 'jti', userId: 'user_id', expiresAt: 'expires_at' };
export const AUDIT_EVENT: ColumnMap = {
  id: 'id', at: 'at', type: 'type', userId: 'user_id', actor: 'actor', ip: 'ip', userAgent: 'user_agent', detail: 'detail',
};

/** `t.user_id AS "userId", …` (or `AS "prefix.userId"`). */
export function columns(map: ColumnMap, table = '', prefix = ''): string {
  const qualifier = table ? `${table}.` : '';
  return Object.entries(map)
    .map(([field, column]) => `${qualifier}${column} AS "${prefix}${field}"`)
    .join(', ');
}

/**
 * Reads the fields `prefix.field` of a joined row (selected with `columns(map, table, prefix)`) as one
 * record, or null when the joined row was absent (its `key` field is null). The prefixed names are worked
 * out once, here, not by scanning every column of every row.
 */
export function unprefixer<T>(map: ColumnMap, prefix: string, key: string): (row: Record<string, unknown>) => T | null {
  const fields = Object.keys(map).map((field) => [field, `${prefix}${field}`] as const);
  const keyName = `${prefix}${key}`;
  return (row) => {
    if (row[keyName] === null || row[keyName] === undefined) return null;
    const record: Record<string, unknown> = {};
    for (const [field, name] of fields) record[field] = row[name];
    return record as T;
  };
}
