import type {
  FamilyRecord,
  NewFamily,
  NewRefreshToken,
  RefreshTokenRecord,
  RotationOutcome,
  RotationRequest,
} from '../../tokens/refresh-family.js';
import type { RevokedAccessToken } from '../../tokens/revoked-access-token.js';
import { decideRotation, successorNeeded, type RotationRows } from '../../tokens/rotation-rule.js';
import type { UserRecord } from '../../users/user.js';
import type { FamilyRepository } from '../store.js';
import { TokenExchangeWithdrawnError } from '../../errors.js';
import { ACCESS_TOKEN, columns, FAMILY, REFRESH_TOKEN, unprefixer, USER } from './columns.js';
import { insertAccess, recordRevocations, revokeFamilyIn, revokeLiveAccessTokens } from './revocations.js';
import type { SqlDriver, SqlSession } from './sql-driver.js';
import { refuseIfOutdated } from './valid-after.js';

const FAMILY_COLUMNS = columns(FAMILY);
const TOKEN_COLUMNS = columns(REFRESH_TOKEN);
/** Families with a live token: not revoked, newest token unexpired. */
const LIVE = `revoked_at IS NULL
  AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.rotated_at IS NULL AND t.expires_at > ?)`;
/** The presented token with its family and user, in one statement. */
const ROTATION_ROWS = `SELECT ${columns(REFRESH_TOKEN, 't', 't.')}, ${columns(FAMILY, 'f', 'f.')}, ${columns(USER, 'u', 'u.')}
  FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id LEFT JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = ?`;
const tokenOf = unprefixer<RefreshTokenRecord>(REFRESH_TOKEN, 't.', 'id');
const familyOf = unprefixer<FamilyRecord>(FAMILY, 'f.', 'id');
const userOf = unprefixer<UserRecord>(USER, 'u.', 'id');

/** Refresh-token families, their tokens and the access tokens issued in them. */
export class SqlFamilies implements FamilyRepository {
  constructor(private readonly db: SqlDriver) {}

  create(input: NewFamily): Promise<FamilyRecord> {
    return this.db.transaction(async (tx) => {
      await refuseIfOutdated(tx, input.userId, input.authenticatedAt);
      const service = input.serviceClientId ?? null;
      if (service !== null) await refuseIfExchangeWithdrawn(tx, service);
      const family = await tx.get<FamilyRecord>(
        `INSERT INTO refresh_families (id, user_id, created_at, last_used_at, ip, user_agent, service_client_id, auth_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${FAMILY_COLUMNS}`,
        [input.familyId, input.userId, input.now, input.now, input.client.ip, input.client.userAgent, service, input.authTime ?? null],
      );
      await insertToken(tx, input.familyId, input.userId, null, input.token);
      await insertAccess(tx, input.access.jti, input.userId, input.familyId, input.access.expiresAt);
      return family!;
    });
  }

  rotate(request: RotationRequest, decided?: (outcome: RotationOutcome) => void): Promise<RotationOutcome> {
    return this.db.transaction(
      async (tx) => {
        const rows = await loadRotationRows(tx, request);
        const outcome = await applyDecision(tx, rows, request);
        decided?.(outcome);
        return outcome;
      },
      { grouped: true },
    );
  }

  findToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.db.get<RefreshTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ?`, [tokenHash]);
  }

  findByAccessToken(jti: string): Promise<FamilyRecord | null> {
    return this.db.get<FamilyRecord>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = (SELECT family_id FROM access_tokens WHERE jti = ?)`,
      [jti],
    );
  }

  find(familyId: string): Promise<FamilyRecord | null> {
    return this.db.get<FamilyRecord>(`SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE id = ?`, [familyId]);
  }

  list(userId: string, now: number): Promise<FamilyRecord[]> {
    return this.db.all<FamilyRecord>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families f WHERE user_id = ? AND ${LIVE} ORDER BY last_used_at DESC`,
      [userId, now],
    );
  }

  async countActive(now: number): Promise<number> {
    return (await this.db.get<{ count: number }>(`SELECT COUNT(*) AS count FROM refresh_families f WHERE ${LIVE}`, [now]))!.count;
  }

  revoke(familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
    return this.db.transaction((tx) => revokeFamilyIn(tx, familyId, reason, now));
  }

  revokeAllOfUser(userId: string, reason: string, now: number): Promise<RevokedAccessToken[]> {
    return this.db.transaction(async (tx) => {
      // Locked in one order, so two sign-outs of the same user cannot deadlock.
      await tx.lockRows('SELECT id FROM refresh_families WHERE user_id = ? ORDER BY id FOR UPDATE', [userId]);
      await tx.run('UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL', [
        now,
        reason,
        userId,
      ]);
      return revokeLiveAccessTokens(tx, userId, now);
    });
  }

  revokeAllOfService(serviceClientId: string, reason: string, now: number): Promise<{ families: number; accessTokens: RevokedAccessToken[] }> {
    return this.db.transaction(async (tx) => {
      await tx.lockRows('SELECT id FROM refresh_families WHERE service_client_id = ? ORDER BY id FOR UPDATE', [serviceClientId]);
      const families = await tx.run(
        'UPDATE refresh_families SET revoked_at = ?, revoke_reason = ? WHERE service_client_id = ? AND revoked_at IS NULL',
        [now, reason, serviceClientId],
      );
      const accessTokens = await tx.all<RevokedAccessToken>(
        `SELECT ${columns(ACCESS_TOKEN)} FROM access_tokens
         WHERE family_id IN (SELECT id FROM refresh_families WHERE service_client_id = ?) AND expires_at > ?
         AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = access_tokens.jti)`,
        [serviceClientId, now],
      );
      await recordRevocations(tx, accessTokens, now);
      return { families, accessTokens };
    });
  }
}

/**
 * Refuses a family for a service that may no longer exchange tokens. On PostgreSQL the share lock on the
 * service row makes a concurrent revoke or `token-exchange off` (an update of that row) wait until this
 * family is committed, so that its sweep of the service's families finds it; or makes us wait and see the change.
 */
async function refuseIfExchangeWithdrawn(tx: SqlSession, serviceClientId: string): Promise<void> {
  await tx.lockRows('SELECT client_id FROM service_clients WHERE client_id = ? FOR SHARE', [serviceClientId]);
  const allowed = await tx.get<{ found: number }>(
    'SELECT 1 AS found FROM service_clients WHERE client_id = ? AND revoked_at IS NULL AND token_exchange_at IS NOT NULL',
    [serviceClientId],
  );
  if (!allowed) throw new TokenExchangeWithdrawnError();
}

/**
 * The rows `decideRotation` needs. Of concurrent presentations of one token, the row locks let one
 * decide at a time; the others then see it rotated. The successor is read after the lock (a later
 * statement sees what the winner committed) and only when the rule needs it.
 */
async function loadRotationRows(tx: SqlSession, request: RotationRequest): Promise<RotationRows> {
  const row = await tx.get<Record<string, unknown>>(`${ROTATION_ROWS}${tx.forUpdate('t, f')}`, [request.tokenHash]);
  const token = row && tokenOf(row);
  const rows: RotationRows = {
    token,
    family: row && familyOf(row),
    user: row && userOf(row),
    successor: null,
  };
  if (token && successorNeeded(token, request)) {
    rows.successor = await tx.get<RefreshTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE id = ?`, [
      token.successorId,
    ]);
  }
  return rows;
}

/** Carries out the rule's decision in the transaction that loaded the rows. */
async function applyDecision(tx: SqlSession, rows: RotationRows, request: RotationRequest): Promise<RotationOutcome> {
  const decision = decideRotation(rows, request);
  const { token, family, user } = rows as { token: RefreshTokenRecord; family: FamilyRecord; user: UserRecord };
  switch (decision.action) {
    case 'refuse':
      return { status: decision.status };
    case 'revoke_family': {
      const revoked = await revokeFamilyIn(tx, family.id, decision.reason, request.now);
      if (decision.reason === 'user_disabled') return { status: 'user_disabled', revoked };
      return { status: 'reused', family: { ...family, revokedAt: request.now, revokeReason: decision.reason }, revoked };
    }
    case 'replay':
      await insertAccess(tx, request.access.jti, user.id, family.id, request.access.expiresAt);
      return { status: 'successor', user, family, successor: decision.successor };
    case 'rotate':
      await tx.run('UPDATE refresh_tokens SET rotated_at = ?, successor_id = ? WHERE id = ?', [request.now, request.next.id, token.id]);
      await insertToken(tx, family.id, user.id, token.id, request.next);
      await insertAccess(tx, request.access.jti, user.id, family.id, request.access.expiresAt);
      await tx.run('UPDATE refresh_families SET last_used_at = ?, ip = ?, user_agent = ? WHERE id = ?', [
        request.now,
        request.client.ip,
        request.client.userAgent,
        family.id,
      ]);
      return {
        status: 'rotated',
        user,
        family: { ...family, lastUsedAt: request.now, ip: request.client.ip, userAgent: request.client.userAgent },
        token: issuedToken(family.id, user.id, token.id, request.next),
      };
  }
}

function issuedToken(familyId: string, userId: string, parentId: string | null, token: NewRefreshToken): RefreshTokenRecord {
  const { id, tokenHash, issuedAt, expiresAt } = token;
  return { id, familyId, userId, tokenHash, parentId, issuedAt, expiresAt, rotatedAt: null, successorId: null };
}

async function insertToken(tx: SqlSession, familyId: string, userId: string, parentId: string | null, token: NewRefreshToken) {
  await tx.run(
    `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, parent_id, issued_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [token.id, familyId, userId, token.tokenHash, parentId, token.issuedAt, token.expiresAt],
  );
}
