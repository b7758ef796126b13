import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../admin/actor.js';
import { TesseraError } from '../errors.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { requireAccessToken, type TokenRequirements } from './authenticate.js';
import { clientInfo } from './client-info.js';

/**
 * onRequest hook: a valid Bearer access token (401 otherwise) whose role is `role`, or one of them (else
 * 403 `insufficient_scope`, with its RFC 6750 challenge). Only access tokens pass: a legacy session never does.
 */
export function requireRole(accessTokens: AccessTokens, role: string | readonly string[], requirements: TokenRequirements = {}) {
  const authenticate = requireAccessToken(accessTokens, requirements);
  const roles = typeof role === 'string' ? [role] : role;
  const named = roles.join(' or ');
  return function authorize(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    authenticate(request, reply, (error) => {
      if (error) return done(error);
      if (!roles.includes(request.principal!.role)) {
        return done(new TesseraError('insufficient_scope', `This endpoint requires an access token with the ${named} role`));
      }
      done();
    });
  };
}

/** The admin making this request, for the audit trail. */
export function actorOf(request: FastifyRequest): Actor {
  return { id: request.principal!.userId, client: clientInfo(request) };
}
