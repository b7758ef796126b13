/** Refresh-token families (one per login) and the tokens and access tokens issued in them. */

import type { UserRecord } from '../users/user.js';
import type { RevokedAccessToken } from './revoked-access-token.js';
export interface FamilyRecord {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  ip: string | null;
  userAgent: string | null;
  revokedAt: number | null;
  revokeReason: string | null;
  /** The client_id of the service whose token exchange (RFC 8693) started this login; null: the user's own login. */
  serviceClientId: string | null;
  /**
   * When the user proved their password for this login (ms; the access tokens' `auth_time`): a password
   * login's check, or the start of the session exchanged. Null when none stands behind it (a token
   * exchange) or the family is older than the record.
   */
  authTime: number | null;
}

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  userId: string;
  tokenHash: string;
  parentId: string | null;
  issuedAt: number;
  expiresAt: number;
  rotatedAt: number | null;
  successorId: string | null;
}

export interface NewRefreshToken {
  id: string;
  tokenHash: string;
  issuedAt: number;
  expiresAt: number;
}

/** An access token minted by us, recorded so it can be revoked by family or by user later. */
export interface IssuedAccessToken {
  jti: string;
  expiresAt: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface NewFamily {
  familyId: string;
  userId: string;
  token: NewRefreshToken;
  access: IssuedAccessToken;
  client: ClientInfo;
  now: number;
  /**
   * When the credential this family comes from was proven (the user row read before the password check,
   * or the session's start). If the user's valid-after instant is at or after it, nothing is created and
   * `CredentialsChangedError` is thrown: a login racing a reset cannot outlive it.
   */
  authenticatedAt?: number;
  /**
   * The client_id of the service whose token exchange starts this family. Nothing is created, and
   * `TokenExchangeWithdrawnError` is thrown, unless that service is active and allowed to exchange at commit:
   * an exchange racing a revoke or `token-exchange off` cannot outlive it.
   */
  serviceClientId?: string;
  /** `FamilyRecord.authTime`; absent = no password proven. */
  authTime?: number;
}

export interface RotationRequest {
  tokenHash: string;
  now: number;
  /** A token rotated at most this long ago may be presented again and yields its successor; 0 = never. */
  reuseIntervalMs: number;
  /** REFRESH_FAMILY_MAX_AGE in ms: a family this old is expired whatever its tokens say; 0 = no limit. */
  familyMaxAgeMs?: number;
  next: NewRefreshToken;
  access: IssuedAccessToken;
  client: ClientInfo;
}

export type RotationOutcome =
  | { status: 'rotated'; user: UserRecord; family: FamilyRecord; token: RefreshTokenRecord }
  /** Presented again within the reuse interval: the caller re-issues `successor`. */
  | { status: 'successor'; user: UserRecord; family: FamilyRecord; successor: RefreshTokenRecord }
  /** Presented again after the interval: the family has been revoked in the same transaction. */
  | { status: 'reused'; family: FamilyRecord; revoked: RevokedAccessToken[] }
  | { status: 'unknown' | 'expired' | 'revoked' }
  /** The user is disabled; the family has been revoked in the same transaction. */
  | { status: 'user_disabled'; revoked: RevokedAccessToken[] };
