import { CredentialsChangedError } from '../../errors.js';
import type { RevokedAccessToken } from '../../tokens/revoked-access-token.js';
import type { EndedCredentials, ValidAfterBatch, ValidAfterMove } from '../../tokens/valid-after-move.js';
import type { ValidAfterRepository } from '../store.js';
import { ACCESS_TOKEN, columns } from './columns.js';
import { recordRevocations, revokeLiveAccessTokens } from './revocations.js';
import type { SqlDriver, SqlSession } from './sql-driver.js';

/** Valid-after instants: ending a user's (or everyone's) credentials in one transaction. */
export class SqlValidAfter implements ValidAfterRepository {
  constructor(private readonly db: SqlDriver) {}

  endUser(userId: string, reason: string, now: number): Promise<EndedCredentials> {
    return this.db.transaction(async (tx) => {
      // The user row is the lock a login racing this takes too (refuseIfOutdated): one waits for the other.
      await tx.lockRows('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
      await recordMove(tx, { scope: 'user', subject: userId, at: now });
      // Locked in one order, so two sign-outs of the same user cannot deadlock.
      await tx.lockRows('SELECT id FROM refresh_families WHERE user_id = ? ORDER BY id FOR UPDATE', [userId]);
      const families = await tx.run(
        'UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL',
        [now, reason, userId],
      );
      const accessTokens = await revokeLiveAccessTokens(tx, userId, now);
      const sessions = await tx.run('UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?', [
        now,
        userId,
        now,
      ]);
      return { families, accessTokens, sessions };
    });
  }

  endAll(reason: string, now: number): Promise<EndedCredentials> {
    return this.db.transaction(async (tx) => {
      await recordMove(tx, { scope: 'all', subject: '', at: now });
      const families = await tx.run('UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE revoked_at IS NULL', [
        now,
        reason,
      ]);
      const accessTokens = await tx.all<RevokedAccessToken>(
        `SELECT ${columns(ACCESS_TOKEN)} FROM access_tokens WHERE expires_at > ?
         AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
        [now],
      );
      await recordRevocations(tx, accessTokens, now);
      const sessions = await tx.run('UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL AND expires_at > ?', [now, now]);
      return { families, accessTokens, sessions };
    });
  }

  async since(cursor: number): Promise<ValidAfterBatch> {
    const rows = await this.db.all<ValidAfterMove & { seq: number }>(
      'SELECT seq, scope, subject, at FROM valid_after_moves WHERE seq > ? ORDER BY seq',
      [cursor],
    );
    return { moves: rows.map(({ scope, subject, at }) => ({ scope, subject, at })), cursor: rows.at(-1)?.seq ?? cursor };
  }
}

/**
 * Appends a valid-after move. Writers take turns, as for revocations, so that a reader's cursor never
 * passes a move committed later with a smaller sequence number.
 */
export async function recordMove(tx: SqlSession, move: ValidAfterMove): Promise<void> {
  await tx.lockTable('valid_after_moves', 'EXCLUSIVE');
  await tx.run('INSERT INTO valid_after_moves (scope, subject, at) VALUES (?, ?, ?)', [move.scope, move.subject, move.at]);
}

/**
 * Refuses to create a credential proven before the user's valid-after. On PostgreSQL the share lock on
 * the user row waits for a concurrent `endUser` (which holds it for update) and makes it wait for us; the
 * row-share lock on the moves does the same with `endAll`, which locks no user row (locks are taken in
 * the same order as those writers take theirs, so none can deadlock). Inside the write transaction, so a
 * move cannot slip between this check and the insert.
 */
export async function refuseIfOutdated(tx: SqlSession, userId: string, authenticatedAt: number | undefined): Promise<void> {
  if (authenticatedAt === undefined) return;
  await tx.lockRows('SELECT id FROM users WHERE id = ? FOR SHARE', [userId]);
  await tx.lockTable('valid_after_moves', 'ROW SHARE');
  const row = await tx.get<{ latest: number | null }>(
    `SELECT MAX(at) AS latest FROM valid_after_moves WHERE (scope = 'user' AND subject = ?) OR scope = 'all'`,
    [userId],
  );
  if (row && row.latest !== null && row.latest >= authenticatedAt) throw new CredentialsChangedError();
}
