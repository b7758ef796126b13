/**
 * Every error Tessera raises, each with a stable code, in one module. Two kinds:
 * - `TesseraError`s carry a code of the wire contract (`@tessera/contract`: the `error` of a JSON body),
 *   shared with the verification package and the client;
 * - `OperatorError`s stop a server's start or a command and are told to an operator, never to a client.
 * They reach HTTP through one mapping (`http/error-handler.ts`) and the CLI through one (`cli/error-message.ts`).
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

/** A client that failed authentication: RFC 6749 §5.2 `invalid_client`, 401 with a Basic challenge. */
export class InvalidClientError extends TesseraError {
  constructor(description = 'Client authentication failed: send the service credentials as HTTP Basic (client_id:client_secret)') {
    super('invalid_client', description);
    this.name = 'InvalidClientError';
  }
}

export class ServiceNameTakenError extends TesseraError {
  constructor(name: string) {
    super('conflict', `A service named ${JSON.stringify(name)} already exists; revoke it first or choose another name`);
    this.name = 'ServiceNameTakenError';
  }
}

/** The service's token exchange was turned off, or the service revoked, while its exchange was being handled. */
export class TokenExchangeWithdrawnError extends TesseraError {
  constructor() {
    super('unauthorized_client', 'This service may no longer exchange tokens: it was revoked or its token exchange turned off');
    this.name = 'TokenExchangeWithdrawnError';
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

export class RateLimitedError extends TesseraError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many requests; retry in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`);
    this.name = 'RateLimitedError';
  }
}

/** The team's old app (LEGACY_AUTH_URL) could not say whether a password is right: 503, never "wrong password". */
export class LegacyAuthUnavailableError extends TesseraError {
  constructor() {
    super('temporarily_unavailable', 'Your password could not be checked right now; try again in a few seconds');
    this.name = 'LegacyAuthUnavailableError';
  }
}

/** Codes of the errors told to an operator (a server that will not start, a command that fails). */
export const OPERATOR_ERROR_CODES = [
  'invalid_configuration',
  'production_database',
  'key_unavailable',
  'seal_failed',
  'invalid_command',
  'unusable_password_hash',
  'invalid_import_file',
] as const;
export type OperatorErrorCode = (typeof OPERATOR_ERROR_CODES)[number];

/** An error for the operator: its message is a sentence saying what to do; clients only ever see a 500. */
export class OperatorError extends Error {
  constructor(
    readonly code: OperatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OperatorError';
  }
}

/** A setting with a bad value; `variable` names it, the message says why (never quoting a secret). */
export class ConfigError extends OperatorError {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super('invalid_configuration', `${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** A non-production server refused on a production database: one line for the operator, exit 1. */
export class ProductionDatabaseError extends OperatorError {
  constructor(env: string) {
    super(
      'production_database',
      `this database was initialised in production; NODE_ENV=${env} refuses to start on it (a development server ` +
        'would sign tokens for, and seed demo accounts into, real data). Set NODE_ENV=production, or ' +
        'PRODUCTION_DATABASE_OVERRIDE=on to start anyway (demo accounts are never seeded into it)',
    );
    this.name = 'ProductionDatabaseError';
  }
}

/** A signing key that cannot be used: none loaded, none created, or no configured secret opens it. */
export class KeyUnavailableError extends OperatorError {
  constructor(message: string) {
    super('key_unavailable', message);
    this.name = 'KeyUnavailableError';
  }
}

/** A sealed key that a secret does not open, or that is not in a format we know. */
export class SealError extends OperatorError {
  constructor(message: string) {
    super('seal_failed', message);
    this.name = 'SealError';
  }
}

/** A mistake in how a command was called or what it was given: one line on stderr, exit 1. */
export class CliError extends OperatorError {
  constructor(message: string) {
    super('invalid_command', message);
    this.name = 'CliError';
  }
}

/** A user with this name exists already (usernames are unique). */
export class UsernameTakenError extends TesseraError {
  constructor(readonly username: string) {
    super('conflict', `A user named "${username}" already exists`);
    this.name = 'UsernameTakenError';
  }
}

/** An imported password hash Tessera cannot take over; the message is the reason an import reports for its line. */
export class UnusableHashError extends OperatorError {
  constructor(reason: string) {
    super('unusable_password_hash', reason);
    this.name = 'UnusableHashError';
  }
}

/** An import file that cannot be read as a whole (a CSV without the header it needs). */
export class ImportFileError extends OperatorError {
  constructor(message: string) {
    super('invalid_import_file', message);
    this.name = 'ImportFileError';
  }
}
