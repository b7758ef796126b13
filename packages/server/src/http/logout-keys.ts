import type { FastifyRequest } from 'fastify';
import type { Tessera } from '../tessera.js';
import { bearerToken } from './authenticate.js';
import type { LogoutCredentialKey } from './rate-limit.js';
import { refreshClaimsOf } from './refresh-claims.js';
import { refreshCookie } from './refresh-cookie.js';
import { sessionCookie } from './session-cookie.js';

/**
 * POST /auth/logout: the refresh-token family of a refresh token whose signature verifies (body or
 * cookie), else the `jti` of an access token that verifies (expired ones too, as logout accepts them).
 */
export function tokenLogoutKey(tessera: Pick<Tessera, 'accessTokens' | 'refreshTokens'>): LogoutCredentialKey {
  return async (request: FastifyRequest) => {
    const refresh = (request.body as { refresh_token?: string } | undefined)?.refresh_token ?? refreshCookie(request);
    if (refresh) {
      const claims = await refreshClaimsOf(request, refresh, tessera.refreshTokens).catch(() => undefined);
      if (claims) return `family:${claims.fid ?? `user:${claims.sub}`}`;
    }
    let access: string | undefined;
    try {
      access = bearerToken(request);
    } catch {
      return undefined;
    }
    if (access === undefined) return undefined;
    const claims = await tessera.accessTokens.verifyForLogout(access).catch(() => undefined);
    return claims && `token:${claims.jti}`;
  };
}

/** POST /api/logout: the open session its cookie names (found in the store). */
export function sessionLogoutKey(tessera: Pick<Tessera, 'sessions'>): LogoutCredentialKey {
  return async (request: FastifyRequest) => {
    const cookie = sessionCookie(request);
    if (cookie === undefined) return undefined;
    const resolved = await tessera.sessions.resolve(cookie).catch(() => undefined);
    return resolved && `session:${resolved.session.id}`;
  };
}
