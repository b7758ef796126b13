/**
 * The persistence contract. SQLite (embedded default) and PostgreSQL implement it with identical
 * behaviour; `test/store/contract.ts` is the suite both must pass. All times are milliseconds since
 * the epoch. Every method that changes more than one row does so atomically.
 */

export interface UserRecord {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  /** The address the team's own app knew the user by (imported or given by its lazy migration); null when unknown. */
  email: string | null;
  createdAt: number;
  updatedAt: number;
  disabledAt: number | null;
}

export type PublicUser = Omit<UserRecord, 'passwordHash'>;

export interface NewUser {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  email?: string | null;
  createdAt: number;
}

/** A change an import makes to a user it read before: applied only if the password hash is still the one read. */
export interface ImportedUserUpdate {
  id: string;
  role: string;
  email: string | null;
  passwordHash: string;
  expectedPasswordHash: string;
}

/** One batch of an import (`users/user-import.ts`), written in one transaction. */
export interface UserImportBatch {
  /** New users; a name someone took since it was read is left alone. */
  create: NewUser[];
  update: ImportedUserUpdate[];
}

/** How many rows of a batch were written; the rest changed underneath the import and were left alone. */
export interface UserImportWritten {
  created: number;
  updated: number;
}

export interface UserPatch {
  role?: string;
  passwordHash?: string;
  disabledAt?: number | null;
}

export type KeyUse = 'access' | 'refresh';

export interface SigningKeyRecord {
  kid: string;
  use: KeyUse;
  alg: string;
  /** Public JWK as JSON; null for symmetric keys. */
  publicJwk: string | null;
  /** The private (or secret) key, sealed with a key derived from JWT_SECRET. */
  sealedKey: string;
  createdAt: number;
  /** When a newer key replaced this one for signing; null while it is the active key. */
  rotatedOutAt: number | null;
  /** After this, nothing it signed can still be valid: it leaves the JWKS and is deleted. */
  expiresAt: number | null;
}

export interface FamilyRecord {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  ip: string | null;
  userAgent: string | null;
  revokedAt: number | null;
  revokeReason: string | null;
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

export interface RevokedAccessToken {
  jti: string;
  userId: string;
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

export interface Page {
  limit: number;
  offset: number;
}

/** One page of the user list and the number of users in all. Shared between callers: never modified. */
export interface UserPage {
  readonly users: readonly PublicUser[];
  readonly total: number;
}

export interface RevocationBatch {
  entries: RevokedAccessToken[];
  /** Pass back to receive only what was revoked after this batch. */
  cursor: number;
}

/** Something that happened, for the audit trail: who, from where, when, and what. */
export interface NewAuditEvent {
  at: number;
  /** e.g. `login.success`, `token.reuse_detected`, `admin.user.disable`. */
  type: string;
  userId: string | null;
  /** Who acted, when not the user concerned (an admin's id, `cli`). */
  actor: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditEventRecord extends NewAuditEvent {
  id: number;
}

export interface AuditQuery {
  userId?: string;
  type?: string;
  /** Inclusive lower bound on `at`. */
  since?: number;
  /** Exclusive upper bound on `at`. */
  until?: number;
  /** Only events with a smaller id (paging backwards from the newest). */
  beforeId?: number;
  limit: number;
}

/** A legacy cookie session. The cookie value is never stored: `id` is its SHA-256. */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  /** Last request seen, recorded coarsely (at most about once a minute) so requests do not write. */
  lastSeenAt: number;
  /** The absolute end, SESSION_MAX_AGE after login, however active the session is. */
  expiresAt: number;
  /** Logged out or exchanged for tokens; null while open. */
  endedAt: number | null;
  ip: string | null;
  userAgent: string | null;
}

export type NewSession = Omit<SessionRecord, 'lastSeenAt' | 'endedAt'> & {
  /** As `NewFamily.authenticatedAt`: refused with `CredentialsChangedError` if the user's valid-after is not before it. */
  authenticatedAt?: number;
};

/**
 * A "valid after" instant (Keycloak's not-before): every credential issued at or before `at` is refused.
 * `user`: one user's access tokens, refresh tokens and sessions; `all`: everyone's; `key`: every token
 * the signing key `subject` signed, whenever it was issued.
 */
export interface ValidAfterMove {
  scope: 'user' | 'all' | 'key';
  /** The user id, the kid, or '' for `all`. */
  subject: string;
  at: number;
}

export interface ValidAfterBatch {
  moves: ValidAfterMove[];
  /** Pass back to receive only later moves. */
  cursor: number;
}

/** What ending a user's (or everyone's) credentials ended. */
export interface EndedCredentials {
  families: number;
  accessTokens: RevokedAccessToken[];
  sessions: number;
}

/** A session together with its user, as one lookup returns them. */
export interface SessionLookup {
  session: SessionRecord;
  user: PublicUser;
}

/** A user for whom the JWT rollout percentage does not apply. */
export interface RolloutOverride {
  userId: string;
  username: string;
  /** true: always JWT; false: never (keeps using sessions). */
  enabled: boolean;
  updatedAt: number;
}

/** Session-authenticated requests of one user from one client, over a period. */
export interface LegacyUsageCount {
  userId: string;
  /** The User-Agent header; empty when the client sent none. */
  userAgent: string;
  firstSeen: number;
  lastSeen: number;
  requestCount: number;
}

export interface LegacyUsageRecord extends LegacyUsageCount {
  /** null if the user no longer exists. */
  username: string | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  /** Applies pending schema migrations; safe when several processes call it at once. */
  migrate(): Promise<void>;
  /** How many of this version's migrations the database lacks (all of them before the first `migrate`); reads only. */
  pendingMigrations(): Promise<number>;
  /** Cheap round trip proving the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;

  // users
  createUser(user: NewUser): Promise<UserRecord>;
  findUserById(id: string): Promise<UserRecord | null>;
  findUserByUsername(username: string): Promise<UserRecord | null>;
  listUsers(page: Page): Promise<UserPage>;
  updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | null>;
  countUsers(): Promise<number>;
  /** The users with these (normalised) names; names nobody has are absent from the result. */
  findUsersByUsernames(usernames: readonly string[]): Promise<UserRecord[]>;
  /** Writes one import batch atomically: creates, and updates whose password hash is still the expected one. */
  importUsers(batch: UserImportBatch, now: number): Promise<UserImportWritten>;

  // signing keys
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Inserts `key` unless an active key of the same use exists; returns the active key either way. */
  insertSigningKeyIfNoneActive(key: SigningKeyRecord): Promise<SigningKeyRecord>;
  /** Makes `key` the active key of its use; the previous active key expires at `previousExpiresAt`. */
  rotateSigningKey(key: SigningKeyRecord, previousExpiresAt: number): Promise<void>;
  updateSealedKey(kid: string, sealedKey: string): Promise<void>;

  // refresh-token families and access tokens
  createFamily(input: NewFamily): Promise<FamilyRecord>;
  rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  findFamilyByAccessToken(jti: string): Promise<FamilyRecord | null>;
  /** Revokes the family (if not already) and every unexpired access token issued in it. */
  revokeFamily(familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]>;
  /** Revokes every family of the user and every unexpired access token issued to them; returns those not revoked before. */
  revokeUserTokens(userId: string, reason: string, now: number): Promise<RevokedAccessToken[]>;
  /** Records single access-token revocations (a logout with a token outside any family). */
  revokeAccessTokens(entries: RevokedAccessToken[], now: number): Promise<void>;
  /** Whether this access token was revoked: the slow, complete check behind the in-memory list. */
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /** Unexpired revocations recorded after `cursor` (0 = all). */
  revocationsSince(cursor: number, now: number): Promise<RevocationBatch>;
  listFamilies(userId: string, now: number): Promise<FamilyRecord[]>;
  /** The family with this id, revoked or not; null if there is none. */
  findFamily(familyId: string): Promise<FamilyRecord | null>;
  /** How many families (of all users) are live: not revoked, newest refresh token unexpired. */
  countActiveFamilies(now: number): Promise<number>;
  /** Revokes every unexpired access token of the user but leaves their families, so a refresh still works; returns those not revoked before. */
  revokeUserAccessTokens(userId: string, now: number): Promise<RevokedAccessToken[]>;

  // valid-after instants (sign out everywhere, password reset, disable, global sign-out, key revocation)
  /**
   * In one transaction: moves the user's valid-after to `now`, revokes their families and live access
   * tokens and ends their open sessions. Serialised with `createFamily`/`createSession` for the same user.
   */
  endUserCredentials(userId: string, reason: string, now: number): Promise<EndedCredentials>;
  /** The same for every user at once: a global valid-after at `now`. */
  endAllCredentials(reason: string, now: number): Promise<EndedCredentials>;
  /** Retires the key at `now` (it leaves the JWKS and verifies nothing) and records a `key` valid-after move. Returns false for an unknown kid. */
  revokeSigningKey(kid: string, now: number): Promise<boolean>;
  /** Valid-after moves recorded after `cursor` (0 = all), oldest first. */
  validAfterSince(cursor: number): Promise<ValidAfterBatch>;

  /** Deletes rows that can no longer matter (expired tokens, revocations and keys). */
  pruneExpired(now: number): Promise<void>;

  // audit trail
  appendAuditEvents(events: NewAuditEvent[]): Promise<void>;
  /** Matching events, newest first. */
  queryAuditEvents(query: AuditQuery): Promise<AuditEventRecord[]>;
  /** Deletes events older than `before`; returns how many. */
  pruneAuditEvents(before: number): Promise<number>;

  // legacy cookie sessions (pruneExpired deletes the ended and the expired ones)
  createSession(session: NewSession): Promise<SessionRecord>;
  findSession(id: string): Promise<SessionLookup | null>;
  /** Moves `lastSeenAt` forward to `now` on an open session. */
  touchSession(id: string, now: number): Promise<void>;
  /** Ends an open session; returns it if this call ended it, null if it was unknown or already ended. */
  endSession(id: string, now: number): Promise<SessionRecord | null>;

  // settings changed at run time (e.g. `jwt_rollout_percent`)
  readSetting(key: string): Promise<string | null>;
  writeSetting(key: string, value: string, now: number): Promise<void>;
  deleteSetting(key: string): Promise<void>;

  // per-user exceptions to the JWT rollout
  listRolloutOverrides(): Promise<RolloutOverride[]>;
  /** Sets the user's override; null removes it. */
  setRolloutOverride(userId: string, enabled: boolean | null, now: number): Promise<void>;

  // who still uses sessions
  /** Adds the counts to what is stored per (user, User-Agent): counts add up, first/last seen widen. */
  addLegacyUsage(counts: LegacyUsageCount[]): Promise<void>;
  /** Usage last seen at or after `since`, most recently seen first. */
  listLegacyUsage(since: number): Promise<LegacyUsageRecord[]>;
}
