import type { SignOutReason } from './auth-events.js';
import type { TesseraClientError } from './client-error.js';

/**
 * What a refused refresh means for the user, from the server's `invalid_grant` reason; undefined for
 * failures that sign no one out (the server unreachable or overloaded: the next call tries again).
 */
export function signOutReason(error: TesseraClientError): SignOutReason | undefined {
  switch (error.code) {
    case 'invalid_grant':
      if (error.details.reason === 'reused') return 'reuse_detected';
      if (error.details.reason === 'expired') return 'expired';
      return 'revoked';
    // No refresh token at all: the cookie has expired or was cleared (by a logout in another tab).
    case 'invalid_request':
      return 'expired';
    case 'rate_limited':
      return 'rate_limited';
    default:
      return undefined;
  }
}
