/**
 * Typed errors with stable codes. The codes, the base class and the access-token errors are the wire
 * contract (`@tessera/contract`), shared with the verification package and the client; the errors only
 * this server raises are here. HTTP statuses are assigned in one place: `http/error-handler.ts`.
 */
import { TesseraError, type InvalidGrantReason } from '@tessera/contract';

export { TesseraError, InvalidTokenError, type ErrorCode, type InvalidTokenReason, type InvalidGrantReason } from '@tessera/contract';

const INVALID_GRANT_DESCRIPTIONS: Record<InvalidGrantReason, string> = {
  malformed: 'The refresh token is malformed',
  expired: 'The refresh token has expired; log in again',
  revoked: 'The refresh token has been revoked; log in again',
  reused:
    'The refresh token was already used; every token from this login has been revoked as a precaution. Log in again',
  unknown: 'The refresh token is not recognised',
  user_disabled: 'The account is disabled',
};

export class InvalidGrantError extends TesseraError {
  constructor(readonly reason: InvalidGrantReason) {
    super('invalid_grant', INVALID_GRANT_DESCRIPTIONS[reason]);
    this.name = 'InvalidGrantError';
  }
}

/** Why a session cookie was refused. `retired`: LEGACY_SESSIONS=off, no cookie is accepted any more. */
export type InvalidSessionReason = 'unknown' | 'expired' | 'idle' | 'ended' | 'user_disabled' | 'retired';

const INVALID_SESSION_DESCRIPTIONS: Record<InvalidSessionReason, string> = {
  unknown: 'The session cookie is not recognised; log in again',
  expired: 'The session has expired; log in again',
  idle: 'The session expired after a period of inactivity; log in again',
  ended: 'The session has ended (logged out or exchanged for tokens); log in again',
  user_disabled: 'The account is disabled',
  retired:
    'Session cookies are no longer accepted: log in with POST /auth/login and send "Authorization: Bearer <access_token>"',
};

export class InvalidSessionError extends TesseraError {
  constructor(readonly reason: InvalidSessionReason) {
    super('invalid_session', INVALID_SESSION_DESCRIPTIONS[reason]);
    this.name = 'InvalidSessionError';
  }
}

/** The user's valid-after moved while a login (or session exchange) was being checked: it issues nothing. */
export class CredentialsChangedError extends TesseraError {
  constructor() {
    super(
      'invalid_credentials',
      'The account changed (password reset, disabled or signed out everywhere) while this login was being checked; log in again',
    );
    this.name = 'CredentialsChangedError';
  }
}

export class StoreUnavailableError extends TesseraError {
  constructor(options?: { cause?: unknown }) {
    super('service_unavailable', 'The database is unreachable; try again shortly', options);
    this.name = 'StoreUnavailableError';
  }
}

/** Too much work queued (logins waiting for a password-hashing slot): shed with 503 and `Retry-After`. */
export class OverloadedError extends TesseraError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'temporarily_unavailable',
      `Too many logins at once; retry in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`,
    );
    this.name = 'OverloadedError';
  }
}
