import { FIRST_PARTY_CLIENT_ID } from '@tessera/contract';
import { MISSING_BEARER_DESCRIPTION, SERVICE_TOKEN_REFUSED_DESCRIPTION } from '@tessera/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidSessionError, InvalidTokenError, TesseraError } from '../errors.js';
import type { Tessera } from '../tessera.js';
import type { AccessClaims, AccessTokens } from '../tokens/access-tokens.js';
import { clientInfo } from './client-info.js';
import { announceDeprecation, deprecationHeaders } from './deprecation-headers.js';
import { allowedOrigins, assertSameOriginForSession } from './same-origin.js';
import { sessionCookie } from './session-cookie.js';

/** What authenticating a request uses (the composition root passes the whole `Tessera`; this says which of it). */
export type AuthenticationDeps = Pick<Tessera, 'accessTokens' | 'config' | 'legacyUsage' | 'requestCounts' | 'sessions'>;

/** Who is calling, as every protected route sees it; the same user and role whichever way they proved it. */
export type Principal = {
  userId: string;
  role: string;
  /** When the credential stops working (for a session: unless it is used again). */
  expiresAt: number;
  /**
   * When the user last proved their password for this credential (ms): the token's `auth_time`, the
   * session's login. Undefined when no password stands behind it or the token predates the claim.
   */
  authTime: number | undefined;
} & (
  | { via: 'jwt'; jti: string; clientId: string }
  /** A legacy session cookie, accepted while LEGACY_SESSIONS=on. `sessionId` is the stored hash. */
  | { via: 'session'; sessionId: string }
);

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const MISSING_CREDENTIALS = MISSING_BEARER_DESCRIPTION;

/** The token of an `Authorization: Bearer <token>` header; undefined when no credentials were sent. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer(?:\s+(.*))?$/i.exec(header.trim());
  if (!match) {
    throw new TesseraError('unauthorized', 'The Authorization header must use the Bearer scheme: "Authorization: Bearer <access_token>"');
  }
  const token = match[1]?.trim();
  if (!token) throw new InvalidTokenError('malformed');
  return token;
}

type Done = (error?: Error) => void;


/** The caller of a token; a service's own token only where a route accepts one (`services: true`). */
const jwtPrincipal = (claims: AccessClaims, services: boolean): Principal => {
  if (!services && claims.client_id !== FIRST_PARTY_CLIENT_ID) throw new TesseraError('insufficient_scope', SERVICE_TOKEN_REFUSED_DESCRIPTION);
  const authTime = claims.auth_time === undefined ? undefined : claims.auth_time * 1000;
  return { userId: claims.sub, role: claims.role, via: 'jwt', jti: claims.jti, clientId: claims.client_id, expiresAt: claims.exp * 1000, authTime };
};

export interface TokenRequirements {
  /** Accept a service's own token (client credentials), not only tokens of users' logins. */
  services?: boolean;
  /** The audiences accepted (default: JWT_AUDIENCE alone), e.g. also the issuer for Tessera's service endpoints. */
  audiences?: readonly string[];
}

/**
 * onRequest hook accepting a valid Bearer access token only (no session cookie), or a 401 saying what is
 * wrong. Written callback-style so a token verified before (the common case) costs no promise at all:
 * only a token seen for the first time waits for its signature check.
 */
export function requireAccessToken(accessTokens: AccessTokens, { services = false, audiences }: TokenRequirements = {}) {
  const verify = audiences ? (token: string) => accessTokens.verifyFor(token, [...audiences]) : (token: string) => accessTokens.verify(token);
  return function authenticateToken(request: FastifyRequest, _reply: FastifyReply, done: Done): void {
    let token: string | undefined;
    try {
      token = bearerToken(request);
      if (token === undefined) throw new TesseraError('unauthorized', MISSING_CREDENTIALS);
      // The cache holds tokens for JWT_AUDIENCE: with other audiences, verifyFor decides.
      const cached = audiences ? undefined : accessTokens.verifyCached(token);
      if (cached) {
        request.principal = jwtPrincipal(cached, services);
        return done();
      }
    } catch (error) {
      return done(error as Error);
    }
    verify(token).then((claims) => {
      try {
        request.principal = jwtPrincipal(claims, services);
      } catch (error) {
        return done(error as Error);
      }
      done();
    }, done);
  };
}

/**
 * onRequest hook of the protected API, run before the query and body are read or checked: one
 * authentication step for every route. An Authorization header, when present, decides alone (a bad
 * Bearer token is a 401 even beside a good cookie); without one, the `session_id` cookie is accepted
 * while LEGACY_SESSIONS=on. Session-authenticated responses carry the deprecation headers, and each
 * such request is counted for `tessera legacy-usage`.
 */
export function authenticate(tessera: AuthenticationDeps) {
  const viaToken = requireAccessToken(tessera.accessTokens);
  const deprecation = deprecationHeaders(tessera.config);
  const origins = allowedOrigins(tessera.config);
  const counts = tessera.requestCounts;
  const viaSession = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const cookie = sessionCookie(request);
    if (cookie === undefined) throw new TesseraError('unauthorized', MISSING_CREDENTIALS);
    if (!tessera.config.legacySessions) throw new InvalidSessionError('retired');
    assertSameOriginForSession(request, origins);
    const { session, user, expiresAt } = await tessera.sessions.resolve(cookie);
    request.principal = { userId: user.id, role: user.role, via: 'session', sessionId: session.id, expiresAt, authTime: session.createdAt };
    announceDeprecation(reply, deprecation);
    tessera.legacyUsage.count(user.id, clientInfo(request).userAgent);
    counts.count('session');
  };
  return function authenticateRequest(request: FastifyRequest, reply: FastifyReply, done: Done): void {
    if (request.headers.authorization !== undefined) {
      return viaToken(request, reply, (error) => {
        if (error === undefined) counts.count('jwt');
        done(error);
      });
    }
    viaSession(request, reply).then(() => done(), done);
  };
}
