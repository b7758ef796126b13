import type { FastifyReply } from 'fastify';
import type { TokenPair } from '../auth/token-pair.js';
import { setRefreshCookie } from './refresh-cookie.js';
import type { RefreshTokenDelivery } from './schemas.js';

/**
 * The answer of every route that hands out a token pair: the refresh token goes into the HttpOnly
 * cookie, and into the body too unless the client asked for the cookie only (`tokenPairSchema`).
 */
export function sendTokenPair(reply: FastifyReply, pair: TokenPair, delivery: RefreshTokenDelivery = 'body_and_cookie') {
  setRefreshCookie(reply, pair.refreshToken, pair.refreshExpiresIn);
  return {
    access_token: pair.accessToken,
    refresh_token: delivery === 'cookie' ? undefined : pair.refreshToken,
    token_type: 'Bearer' as const,
    expires_in: pair.expiresIn,
  };
}
