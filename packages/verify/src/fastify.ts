import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { authorizeCaller, readBearerToken, refusalAnswer, type RequireOptions } from './bearer.js';
import type { Caller, Verifier } from './create-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller (`sub`, `role`, `jti`, …), set by the Tessera hook. */
    caller: Caller | null;
  }
}

export type { RequireOptions };

/**
 * A Fastify `onRequest` hook for one route (`{ onRequest: requireAccessToken(verifier) }`): a valid,
 * unrevoked Tessera access token sets `request.caller`; anything else gets Tessera's own RFC 6750
 * answer (401/403 with `WWW-Authenticate` and a JSON body), before the body is read.
 */
export function requireAccessToken(verifier: Verifier, options: RequireOptions = {}) {
  return async function tesseraAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      const caller = await verifier.verify(readBearerToken(request.headers.authorization, request.raw.rawHeaders));
      authorizeCaller(caller, options);
      request.caller = caller;
    } catch (error) {
      const answer = refusalAnswer(error);
      await reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  };
}

export interface TesseraPluginOptions extends RequireOptions {
  verifier: Verifier;
}

/** A Fastify plugin protecting every route registered after it in the same scope (and closing the verifier with the app). */
export const tesseraAuth = fp(
  async (app: FastifyInstance, options: TesseraPluginOptions) => {
    app.decorateRequest('caller', null);
    app.addHook('onRequest', requireAccessToken(options.verifier, options));
    app.addHook('onClose', async () => options.verifier.close());
  },
  { fastify: '5.x', name: '@tessera/verify' },
);

export { createVerifier } from './create-verifier.js';
