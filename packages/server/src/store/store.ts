import type { ServiceClientRepository } from '../oauth/service-client.js';
/**
 * The persistence contract: one small repository per aggregate. SQLite (embedded default) and
 * PostgreSQL run the same repositories (`store/sql/`) over a driver of their own; `test/store/contract.ts`
 * is the suite both must pass. All times are milliseconds since the epoch. Every method that changes
 * more than one row does so atomically. The record types live with their domain (`users/user.ts`, …).
 */
import type { AuditEventRecord, AuditQuery, NewAuditEvent } from '../audit/audit-event.js';
import type { RolloutOverride } from '../rollout/rollout-override.js';
import type { LegacyUsageCount, LegacyUsageRecord } from '../sessions/legacy-usage-count.js';
import type { LegacyNoticeRecord } from '../sessions/legacy-notice.js';
import type { EmailConfirmationRecord } from '../account/email-confirmation.js';
import type { NewSession, SessionLookup, SessionRecord } from '../sessions/session.js';
import type { FamilyRecord, NewFamily, RefreshTokenRecord, RotationOutcome, RotationRequest } from '../tokens/refresh-family.js';
import type { RevocationBatch, RevokedAccessToken } from '../tokens/revoked-access-token.js';
import type { SigningKeyRecord } from '../tokens/signing-key.js';
import type { EndedCredentials, ValidAfterBatch } from '../tokens/valid-after-move.js';
import type { NewUser, Page, UserImportBatch, UserImportWritten, UserPage, UserPatch, UserRecord } from '../users/user.js';

export interface UserRepository {
  /** Throws `UsernameTakenError` if the name is taken. */
  create(user: NewUser): Promise<UserRecord>;
  findById(id: string): Promise<UserRecord | null>;
  findByUsername(username: string): Promise<UserRecord | null>;
  /** A page of users (oldest first) and the total; pages are kept until any process changes a user. */
  list(page: Page): Promise<UserPage>;
  update(id: string, patch: UserPatch, now: number): Promise<UserRecord | null>;
  count(): Promise<number>;
  /** The users with these (normalised) names; names nobody has are absent from the result. */
  findByUsernames(usernames: readonly string[]): Promise<UserRecord[]>;
  /** Marks the user's address verified at `now`, only if it is still `email`; null otherwise. */
  verifyEmail(id: string, email: string, now: number): Promise<UserRecord | null>;
  /** Writes one import batch atomically: creates, and updates whose password hash is still the expected one. */
  importBatch(batch: UserImportBatch, now: number): Promise<UserImportWritten>;
}

export interface SigningKeyRepository {
  list(): Promise<SigningKeyRecord[]>;
  /** Inserts `key` unless an active key of the same use exists; returns the active key either way. */
  insertIfNoneActive(key: SigningKeyRecord): Promise<SigningKeyRecord>;
  /** Makes `key` the active key of its use; the previous active key expires at `previousExpiresAt`. */
  rotate(key: SigningKeyRecord, previousExpiresAt: number): Promise<void>;
  updateSealedKey(kid: string, sealedKey: string): Promise<void>;
  /** Retires the key at `now` (it leaves the JWKS and verifies nothing) and records a `key` valid-after move. Returns false for an unknown kid. */
  revoke(kid: string, now: number): Promise<boolean>;
}

export interface FamilyRepository {
  /** Refused with `CredentialsChangedError` if the user's valid-after is not before `input.authenticatedAt`. */
  create(input: NewFamily): Promise<FamilyRecord>;
  /**
   * Loads and locks the rows, applies `decideRotation` (`tokens/rotation-rule.ts`), in one transaction.
   * `decided`, if given, is called once with the outcome inside the transaction, before it commits: the
   * caller may start work on it meanwhile, to be used only once the returned promise has resolved. It
   * runs while the transaction holds its locks, so it must return at once; if it throws, the rotation
   * is rolled back and the promise rejects.
   */
  rotate(request: RotationRequest, decided?: (outcome: RotationOutcome) => void): Promise<RotationOutcome>;
  findToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  findByAccessToken(jti: string): Promise<FamilyRecord | null>;
  /** The family with this id, revoked or not; null if there is none. */
  find(familyId: string): Promise<FamilyRecord | null>;
  /** The user's live families (not revoked, newest token unexpired), most recently used first. */
  list(userId: string, now: number): Promise<FamilyRecord[]>;
  /** How many families (of all users) are live. */
  countActive(now: number): Promise<number>;
  /** Revokes the family (if not already) and every unexpired access token issued in it. */
  revoke(familyId: string, reason: string, now: number): Promise<RevokedAccessToken[]>;
  /** Revokes every family of the user and every unexpired access token issued to them; returns those not revoked before. */
  revokeAllOfUser(userId: string, reason: string, now: number): Promise<RevokedAccessToken[]>;
  /**
   * Revokes every family the service's token exchange started and every unexpired access token issued in
   * them; returns how many families it revoked and those access tokens.
   */
  revokeAllOfService(serviceClientId: string, reason: string, now: number): Promise<{ families: number; accessTokens: RevokedAccessToken[] }>;
}

export interface RevocationRepository {
  /** Records single access-token revocations (a logout with a token outside any family). */
  record(entries: RevokedAccessToken[], now: number): Promise<void>;
  /** Whether this access token was revoked: the slow, complete check behind the in-memory list. */
  isRevoked(jti: string): Promise<boolean>;
  /** Unexpired revocations recorded after `cursor` (0 = all). */
  since(cursor: number, now: number): Promise<RevocationBatch>;
  /** Revokes every unexpired access token of the user but leaves their families, so a refresh still works; returns those not revoked before. */
  revokeUserAccessTokens(userId: string, now: number): Promise<RevokedAccessToken[]>;
}

/** Valid-after instants: sign out everywhere, password reset, disable, global sign-out (keys: `keys.revoke`). */
export interface ValidAfterRepository {
  /**
   * In one transaction: moves the user's valid-after to `now`, revokes their families and live access
   * tokens and ends their open sessions. Serialised with `families.create`/`sessions.create` for the same user.
   */
  endUser(userId: string, reason: string, now: number): Promise<EndedCredentials>;
  /** The same for every user at once: a global valid-after at `now`. */
  endAll(reason: string, now: number): Promise<EndedCredentials>;
  /** Moves recorded after `cursor` (0 = all), oldest first. */
  since(cursor: number): Promise<ValidAfterBatch>;
}

/** Legacy cookie sessions (`pruneExpired` deletes the ended and the expired ones). */
export interface SessionRepository {
  /** Refused with `CredentialsChangedError` if the user's valid-after is not before `session.authenticatedAt`. */
  create(session: NewSession): Promise<SessionRecord>;
  find(id: string): Promise<SessionLookup | null>;
  /** Moves `lastSeenAt` forward to `now` on an open session. */
  touch(id: string, now: number): Promise<void>;
  /** Ends an open session; returns it if this call ended it, null if it was unknown or already ended. */
  end(id: string, now: number): Promise<SessionRecord | null>;
}

export interface AuditRepository {
  append(events: NewAuditEvent[]): Promise<void>;
  /** Matching events, newest first. */
  query(query: AuditQuery): Promise<AuditEventRecord[]>;
  /** Deletes events older than `before`; returns how many. */
  prune(before: number): Promise<number>;
  /** How many distinct users have an event of each of `types` at or after `since`, and of any of them (`total`). */
  countUsers(types: readonly string[], since: number): Promise<{ byType: Record<string, number>; total: number }>;
}

/** Settings changed at run time (e.g. `jwt_rollout_percent`). */
export interface SettingRepository {
  read(key: string): Promise<string | null>;
  write(key: string, value: string, now: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Per-user exceptions to the JWT rollout. */
export interface RolloutOverrideRepository {
  list(): Promise<RolloutOverride[]>;
  /** Sets the user's override; null removes it. */
  set(userId: string, enabled: boolean | null, now: number): Promise<void>;
}

/** Who still uses sessions. */
/** Authenticated requests counted in one hour, per way of authenticating. */
export interface RequestCount {
  /** Start of the hour, epoch ms (UTC). */
  hour: number;
  via: 'jwt' | 'session';
  count: number;
}

/** Authenticated requests per hour (JWT against session): the console's chart. */
export interface RequestCountRepository {
  /** Adds the counts to what is stored per (hour, via). */
  add(counts: RequestCount[]): Promise<void>;
  /** Counts of the hours starting at or after `since`, oldest first. */
  list(since: number): Promise<RequestCount[]>;
  /** Deletes the hours starting before `before`; returns how many rows. */
  prune(before: number): Promise<number>;
}

export interface LegacyUsageRepository {
  /** Adds the counts to what is stored per (user, User-Agent): counts add up, first/last seen widen. */
  add(counts: LegacyUsageCount[]): Promise<void>;
  /** Usage last seen at or after `since`, most recently seen first. */
  list(since: number): Promise<LegacyUsageRecord[]>;
}

export interface EmailConfirmationRepository {
  /** Stores the user's pending confirmation, replacing the one before (whose link then stops working). */
  put(confirmation: EmailConfirmationRecord): Promise<void>;
  /** Removes and answers this user's confirmation with this token hash: a link works once, even when opened twice at once. */
  take(tokenHash: string, userId: string): Promise<EmailConfirmationRecord | null>;
  find(userId: string): Promise<EmailConfirmationRecord | null>;
  remove(userId: string): Promise<void>;
}

export interface LegacyNoticeRepository {
  /**
   * Records that `notice` is being sent; false if this user already has the notice of this sunset date
   * (sent, or being sent by another run). Claimed before sending, so two runs never both send it.
   */
  claim(notice: LegacyNoticeRecord): Promise<boolean>;
  /** Forgets a claim whose message could not be sent, so a later run tries again. */
  release(userId: string, sunset: number): Promise<void>;
  /** The users told of this sunset date, first told first. */
  list(sunset: number): Promise<LegacyNoticeRecord[]>;
}

export interface Store {
  /** Services holding client credentials (OAuth). */
  readonly serviceClients: ServiceClientRepository;
  readonly kind: 'sqlite' | 'postgres';
  readonly users: UserRepository;
  readonly keys: SigningKeyRepository;
  readonly families: FamilyRepository;
  readonly revocations: RevocationRepository;
  readonly validAfter: ValidAfterRepository;
  readonly sessions: SessionRepository;
  readonly audit: AuditRepository;
  readonly settings: SettingRepository;
  readonly rolloutOverrides: RolloutOverrideRepository;
  readonly legacyUsage: LegacyUsageRepository;
  /** Who was told by email that sessions end (`tessera legacy-usage notify`). */
  readonly legacyNotices: LegacyNoticeRepository;
  /** Pending confirmations of the addresses users set for themselves. */
  readonly emailConfirmations: EmailConfirmationRepository;
  readonly requestCounts: RequestCountRepository;

  /** Applies pending schema migrations; safe when several processes call it at once. */
  migrate(): Promise<void>;
  /** How many of this version's migrations the database lacks (all of them before the first `migrate`); reads only. */
  pendingMigrations(): Promise<number>;
  /** Cheap round trip proving the database answers. */
  ping(): Promise<void>;
  /** Deletes rows that can no longer matter (expired tokens, revocations, sessions and keys). */
  pruneExpired(now: number): Promise<void>;
  close(): Promise<void>;
}
