import { ROLES_NEVER_EXCHANGED } from '../users/roles.js';
import type { UserRecord } from '../users/user.js';
import type { FamilyRecord, RefreshTokenRecord, RotationRequest } from './refresh-family.js';

/** What a store has loaded (and locked) for one presented refresh token. */
export interface RotationRows {
  /** The token whose hash was presented; null if none matches. */
  token: RefreshTokenRecord | null;
  /** Its family; null only when `token` is. */
  family: FamilyRecord | null;
  /** The token's user; null if the account no longer exists. */
  user: UserRecord | null;
  /** The token's successor, loaded only when `successorNeeded` says so. */
  successor: RefreshTokenRecord | null;
}

/** What the store must do with the rows, all in the transaction that loaded them. */
export type RotationDecision =
  /** Refuse; nothing changes. */
  | { action: 'refuse'; status: 'unknown' | 'expired' | 'revoked' }
  /** Revoke the whole family (and its live access tokens), then refuse. */
  | { action: 'revoke_family'; reason: 'user_disabled' | 'reuse_detected' }
  /** A racing client presented the token again within the reuse interval: hand it the unused successor. */
  | { action: 'replay'; successor: RefreshTokenRecord }
  /** Mark the token rotated and issue `request.next` in its place. */
  | { action: 'rotate' };

/**
 * The refresh rule, stated once: unknown → revoked → expired (token or family age) → account disabled →
 * a service's login of a user now `admin` or `service` (refused) → already rotated (replay within the reuse interval, otherwise reuse: revoke the family) → rotate.
 */
export function decideRotation(rows: RotationRows, request: RotationRequest): RotationDecision {
  const { token, family, user } = rows;
  if (!token || !family) return { action: 'refuse', status: 'unknown' };
  if (family.revokedAt !== null) return { action: 'refuse', status: 'revoked' };
  if (token.expiresAt <= request.now || familyTooOld(family, request)) return { action: 'refuse', status: 'expired' };
  if (!user || user.disabledAt !== null) return { action: 'revoke_family', reason: 'user_disabled' };
  // A login a service started by token exchange ends when its user takes a role no service may hand over.
  if (family.serviceClientId !== null && ROLES_NEVER_EXCHANGED.includes(user.role)) return { action: 'refuse', status: 'revoked' };
  if (token.rotatedAt === null) return { action: 'rotate' };
  if (successorNeeded(token, request) && mayReplay(rows.successor)) return { action: 'replay', successor: rows.successor };
  return { action: 'revoke_family', reason: 'reuse_detected' };
}

/** Whether the decision depends on the token's successor, so the store must load it. */
export function successorNeeded(token: RefreshTokenRecord, request: RotationRequest): boolean {
  return token.rotatedAt !== null && token.successorId !== null && withinReuseInterval(token.rotatedAt, request);
}

/** Whether a token rotated at `rotatedAt` may still be presented for its successor (0 = never). */
function withinReuseInterval(rotatedAt: number, request: RotationRequest): boolean {
  return request.reuseIntervalMs > 0 && request.now - rotatedAt <= request.reuseIntervalMs;
}

/**
 * Supabase's "immediate parent" rule: a replay within the interval is a racing client only while the
 * successor it would receive is itself still unused. Anything older is a copied token.
 */
function mayReplay(successor: RefreshTokenRecord | null): successor is RefreshTokenRecord {
  return successor !== null && successor.rotatedAt === null;
}

/** REFRESH_FAMILY_MAX_AGE: a family ends this long after its login, however often it is refreshed. */
function familyTooOld(family: FamilyRecord, request: RotationRequest): boolean {
  const maxAge = request.familyMaxAgeMs ?? 0;
  return maxAge > 0 && request.now - family.createdAt >= maxAge;
}
