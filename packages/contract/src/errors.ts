/**
 * The stable error codes of every Tessera JSON error body (`error`), and the error class that carries
 * one. The code is the public contract; the description is for people. Servers map codes to HTTP
 * statuses in one place each; clients branch on codes, never on descriptions.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'unauthorized'
  | 'invalid_token'
  | 'invalid_grant'
  | 'invalid_session'
  | 'insufficient_scope'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'request_timeout'
  | 'expectation_failed'
  | 'payload_too_large'
  | 'header_fields_too_large'
  | 'uri_too_long'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'jwt_not_enabled'
  | 'sessions_disabled'
  | 'service_unavailable'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'cross_site_request'
  | 'reauth_required'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_target'
  | 'invalid_scope'
  | 'unauthorized_client';

/** An error with a stable code. Every error Tessera reports to a client is one. */
export class TesseraError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = 'TesseraError';
  }
}

/**
 * Why a refresh token was refused: the `reason` of an `invalid_grant` body, so that a client can tell the
 * user why they were signed out. `reused` means the whole family (every token of that login) was revoked.
 */
export type InvalidGrantReason = 'malformed' | 'expired' | 'revoked' | 'reused' | 'unknown' | 'user_disabled';

/** Why an access token was refused; feeds the RFC 6750 `error_description`. */
export type InvalidTokenReason =
  | 'malformed'
  | 'expired'
  | 'revoked'
  | 'signature'
  | 'algorithm'
  | 'header'
  | 'claims'
  | 'unknown_key'
  | 'type'
  | 'issued_in_future'
  | 'lifetime';

const INVALID_TOKEN_DESCRIPTIONS: Record<InvalidTokenReason, string> = {
  malformed: 'The access token is malformed',
  expired: 'The access token has expired',
  revoked: 'The access token has been revoked',
  signature: 'The access token signature is invalid',
  algorithm: 'The access token is not signed with the algorithm of its key',
  header: 'The access token names its own key (jku, jwk, x5u or x5c), which is never trusted',
  claims: 'The access token was not issued for this API',
  unknown_key: 'The access token was signed with an unknown key',
  type: 'The token is not an access token',
  issued_in_future: 'The access token claims to be issued in the future',
  lifetime: 'The access token claims a longer lifetime than this server issues',
};

/** An access token refused, with the reason; the same for Tessera and every service verifying its tokens. */
export class InvalidTokenError extends TesseraError {
  constructor(
    readonly reason: InvalidTokenReason,
    options?: { cause?: unknown },
  ) {
    super('invalid_token', INVALID_TOKEN_DESCRIPTIONS[reason], options);
    this.name = 'InvalidTokenError';
  }
}
