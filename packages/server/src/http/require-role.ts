import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../admin/actor.js';
import { TesseraError } from '../errors.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { requireAccessToken } from './authenticate.js';
import { clientInfo } from './client-info.js';

/**
 * onRequest hook: a valid Bearer access token (401 otherwise) whose role is `role` (else 403
 * `insufficient_scope`, with its RFC 6750 challenge). Only access tokens pass: a legacy session never does.
 */
export function requireRole(accessTokens: AccessTokens, role: string) {
  const authenticate = requireAccessToken(accessTokens);
  return function authorize(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    authenticate(request, reply, (error) => {
      if (error) return done(error);
      if (request.principal!.role !== role) {
        return done(new TesseraError('insufficient_scope', `This endpoint requires an access token with the ${role} role`));
      }
      done();
    });
  };
}

/** The admin making this request, for the audit trail. */
export function actorOf(request: FastifyRequest): Actor {
  return { id: request.principal!.userId, client: clientInfo(request) };
}
