import type { ErrorCode } from './errors.js';

/** The realm of every Bearer challenge Tessera and the services verifying its tokens send. */
export const BEARER_REALM = 'tessera';

/**
 * The RFC 6750 §3 `WWW-Authenticate` value: no error code when no credentials were sent; otherwise the
 * code and a description. The same on Tessera and on every service using `@tessera/verify`.
 */
export function bearerChallenge(code: ErrorCode, description: string): string {
  if (code !== 'invalid_token' && code !== 'insufficient_scope') return `Bearer realm="${BEARER_REALM}"`;
  return `Bearer realm="${BEARER_REALM}", error="${code}", error_description="${description.replaceAll('"', "'")}"`;
}

/** What a request without credentials is told (401 `unauthorized`). */
export const MISSING_BEARER_DESCRIPTION = 'Missing Authorization header: send "Authorization: Bearer <access_token>"';

/** What a request whose Authorization header is not a Bearer one is told (401 `unauthorized`). */
export const NOT_BEARER_DESCRIPTION = 'The Authorization header must use the Bearer scheme: "Authorization: Bearer <access_token>"';

/** What a service's own token (client credentials) is told on a route that acts for users (403 `insufficient_scope`). */
export const SERVICE_TOKEN_REFUSED_DESCRIPTION = "This endpoint acts for a user: a service's own token (client credentials) is not accepted";
