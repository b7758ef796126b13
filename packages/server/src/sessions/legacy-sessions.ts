import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { InvalidSessionError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { SessionRecord } from '../sessions/session.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { PublicUser } from '../users/user.js';
import type { ValidAfter } from '../tokens/valid-after.js';

/**
 * `lastSeenAt` is written at most once per this interval per session, so session requests do not each
 * write to the database; idleness is therefore judged with this much slack.
 */
export const SESSION_TOUCH_STEP_MS = 60_000;

/** 32 random bytes, base64url: the only form of the cookie value we accept. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface LegacySessionsOptions {
  store: Store;
  clock: Clock;
  /** SESSION_IDLE_TIMEOUT, seconds. */
  idleTimeoutSeconds: number;
  /** SESSION_MAX_AGE, seconds. */
  maxAgeSeconds: number;
  /** Valid-after instants: a session started at or before its user's instant is refused. */
  validAfter?: ValidAfter | undefined;
}

/** A session as a request sees it once its cookie has been accepted. */
export interface ResolvedSession {
  session: SessionRecord;
  user: PublicUser;
  /** When the session ends unless it is used again: the earlier of its idle and its absolute end. */
  expiresAt: number;
}

/** The session id of a cookie value: its SHA-256. The value itself is never stored. */
export function sessionIdOf(cookieValue: string): string {
  return createHash('sha256').update(cookieValue).digest('base64url');
}

/**
 * The legacy cookie sessions of the seed's "Before" clients, kept server-side in the store during the
 * move to JWTs. A session ends on logout or exchange, after SESSION_IDLE_TIMEOUT without a request
 * (between that and one touch step more), or SESSION_MAX_AGE after login, whichever comes first.
 */
export class LegacySessions {
  constructor(private readonly options: LegacySessionsOptions) {}

  get maxAgeSeconds(): number {
    return this.options.maxAgeSeconds;
  }

  /**
   * Starts a session for the user; returns the cookie value (shown once, never stored) and the record.
   * `authenticatedAt`: when the password was checked; the store refuses if the user's valid-after has since moved.
   */
  async open(user: { id: string }, client: ClientInfo, authenticatedAt?: number): Promise<{ cookieValue: string; session: SessionRecord }> {
    const cookieValue = randomBytes(32).toString('base64url');
    const now = this.options.clock.now();
    const session = await this.options.store.sessions.create({
      id: sessionIdOf(cookieValue),
      userId: user.id,
      createdAt: now,
      expiresAt: now + this.options.maxAgeSeconds * 1000,
      ip: client.ip,
      userAgent: client.userAgent,
      ...(authenticatedAt === undefined ? {} : { authenticatedAt }),
    });
    return { cookieValue, session };
  }

  /** The open session a cookie names, or `InvalidSessionError` saying why not. Records the use, coarsely. */
  async resolve(cookieValue: string): Promise<ResolvedSession> {
    // Anything we could not have issued is refused without a database query.
    if (!COOKIE_VALUE.test(cookieValue)) throw new InvalidSessionError('unknown');
    const found = await this.options.store.sessions.find(sessionIdOf(cookieValue));
    if (!found) throw new InvalidSessionError('unknown');
    const { session, user } = found;
    const now = this.options.clock.now();
    const idleMs = this.options.idleTimeoutSeconds * 1000;
    if (session.endedAt !== null || this.options.validAfter?.refusesInstant(user.id, session.createdAt)) {
      throw new InvalidSessionError('ended');
    }
    if (now >= session.expiresAt) throw new InvalidSessionError('expired');
    // The last request may have come up to one step after `lastSeenAt`: never end a session early.
    if (now - session.lastSeenAt >= idleMs + SESSION_TOUCH_STEP_MS) throw new InvalidSessionError('idle');
    if (user.disabledAt !== null) throw new InvalidSessionError('user_disabled');
    if (now - session.lastSeenAt >= SESSION_TOUCH_STEP_MS) await this.options.store.sessions.touch(session.id, now);
    return { session, user, expiresAt: Math.min(session.expiresAt, now + idleMs) };
  }

  /** Ends the session; returns it if it was open until now, null if it was unknown or had already ended. */
  async end(sessionId: string): Promise<SessionRecord | null> {
    return this.options.store.sessions.end(sessionId, this.options.clock.now());
  }
}
