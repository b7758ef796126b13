import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidTokenError, TesseraError } from '../errors.js';
import type { AccessTokens } from '../tokens/access-tokens.js';

/** Who is calling, as every protected route sees it. */
export interface Principal {
  userId: string;
  role: string;
  /** How the caller proved it: a Bearer access token (or, during the transition, a session cookie). */
  via: 'jwt';
  jti: string;
  expiresAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

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

/** preHandler for protected routes: a valid Bearer access token or a 401 saying what is wrong. */
export function requireAccessToken(accessTokens: AccessTokens) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request);
    if (token === undefined) {
      throw new TesseraError('unauthorized', 'Missing Authorization header: send "Authorization: Bearer <access_token>"');
    }
    const claims = await accessTokens.verify(token);
    request.principal = { userId: claims.sub, role: claims.role, via: 'jwt', jti: claims.jti, expiresAt: claims.exp * 1000 };
  };
}
