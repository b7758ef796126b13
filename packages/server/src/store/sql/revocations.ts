import type { RevocationBatch, RevokedAccessToken } from '../../tokens/revoked-access-token.js';
import type { RevocationRepository } from '../store.js';
import { ACCESS_TOKEN, columns } from './columns.js';
import { chunks, valueRows, type SqlDriver, type SqlSession } from './sql-driver.js';

const ACCESS_COLUMNS = columns(ACCESS_TOKEN);

/** Revoked access tokens: the feed every instance follows by cursor, and the complete check behind it. */
export class SqlRevocations implements RevocationRepository {
  constructor(private readonly db: SqlDriver) {}

  async record(entries: RevokedAccessToken[], now: number): Promise<void> {
    await this.db.transaction((tx) => recordRevocations(tx, entries, now));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS found FROM revoked_access_tokens WHERE jti = ?', [jti])) !== null;
  }

  async since(cursor: number, now: number): Promise<RevocationBatch> {
    const rows = await this.db.all<RevokedAccessToken & { seq: number }>(
      `SELECT seq, ${ACCESS_COLUMNS} FROM revoked_access_tokens WHERE seq > ? ORDER BY seq`,
      [cursor],
    );
    return {
      entries: rows.filter((r) => r.expiresAt > now).map(({ jti, userId, expiresAt }) => ({ jti, userId, expiresAt })),
      cursor: rows.at(-1)?.seq ?? cursor,
    };
  }

  revokeUserAccessTokens(userId: string, now: number): Promise<RevokedAccessToken[]> {
    return this.db.transaction((tx) => revokeLiveAccessTokens(tx, userId, now));
  }
}

/**
 * Appends to the revocation feed. On PostgreSQL writers take turns (readers are not blocked) so that
 * sequence numbers become visible in order: otherwise a reader could see seq 8 committed before seq 7
 * and move its cursor past a revocation it never saw.
 */
export async function recordRevocations(tx: SqlSession, entries: readonly RevokedAccessToken[], now: number): Promise<void> {
  if (entries.length === 0) return;
  await tx.lockTable('revoked_access_tokens', 'EXCLUSIVE');
  for (const chunk of chunks(entries)) {
    await tx.run(
      `INSERT INTO revoked_access_tokens (jti, user_id, expires_at, revoked_at) VALUES ${valueRows(chunk.length, 4)}
       ON CONFLICT (jti) DO NOTHING`,
      chunk.flatMap((e) => [e.jti, e.userId, e.expiresAt, now]),
    );
  }
}

/** Revokes the user's access tokens that are still live and not revoked yet; returns them. */
export async function revokeLiveAccessTokens(tx: SqlSession, userId: string, now: number): Promise<RevokedAccessToken[]> {
  const access = await tx.all<RevokedAccessToken>(
    `SELECT ${ACCESS_COLUMNS} FROM access_tokens
     WHERE family_id IN (SELECT id FROM refresh_families WHERE user_id = ?) AND expires_at > ?
     AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
    [userId, now],
  );
  await recordRevocations(tx, access, now);
  return access;
}

/** Revokes the family (if not already) and every unexpired access token issued in it; returns those. */
export async function revokeFamilyIn(tx: SqlSession, familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
  await tx.run('UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL', [
    now,
    reason,
    familyId,
  ]);
  const access = await tx.all<RevokedAccessToken>(
    `SELECT ${ACCESS_COLUMNS} FROM access_tokens WHERE family_id = ? AND expires_at > ?`,
    [familyId, now],
  );
  await recordRevocations(tx, access, now);
  return access;
}

export async function insertAccess(tx: SqlSession, jti: string, userId: string, familyId: string, expiresAt: number): Promise<void> {
  await tx.run('INSERT INTO access_tokens (jti, user_id, family_id, expires_at) VALUES (?, ?, ?, ?)', [
    jti,
    userId,
    familyId,
    expiresAt,
  ]);
}
