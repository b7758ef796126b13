import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../tessera.js';

/** What the JWKS route uses (the composition root passes the whole `Tessera`; this says which of it). */
export type JwksRouteDeps = Pick<Tessera, 'keyRing'>;

// Only public members are listed: anything else (a private `d`, say) could never be serialised.
const jwkSchema = {
  type: 'object',
  properties: Object.fromEntries(
    ['kid', 'kty', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'].map((name) => [name, { type: 'string' }]),
  ),
} as const;

/** GET /.well-known/jwks.json: the public keys that verify our access tokens — public parts only. */
export async function jwksRoutes(app: FastifyInstance, { tessera }: { tessera: JwksRouteDeps }): Promise<void> {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        summary: 'Public signing keys (JWKS)',
        tags: ['keys'],
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: jwkSchema } } } },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return tessera.keyRing.jwks();
    },
  );
}
