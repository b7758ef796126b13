import type { FastifyRequest } from 'fastify';
import type { RefreshClaims, RefreshTokens } from '../tokens/refresh-tokens.js';

const checked = new WeakMap<FastifyRequest, { token: string; claims: Promise<RefreshClaims> }>();

/**
 * The presented refresh token's check, made once per request: the per-family refresh budget (which
 * needs its family before the route runs) and the rotation share it. A token that failed the check
 * fails the same way for both; a different token string is checked anew.
 */
export function refreshClaimsOf(request: FastifyRequest, token: string, refreshTokens: Pick<RefreshTokens, 'verify'>): Promise<RefreshClaims> {
  const known = checked.get(request);
  if (known !== undefined && known.token === token) return known.claims;
  const claims = refreshTokens.verify(token);
  // Whoever asks next handles a refusal; until then it is not an unhandled rejection.
  claims.catch(() => undefined);
  checked.set(request, { token, claims });
  return claims;
}
