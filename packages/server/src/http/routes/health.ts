import type { FastifyInstance } from 'fastify';
import { StoreUnavailableError } from '../../errors.js';
import type { Tessera } from '../../tessera.js';
import { errorResponses } from '../schemas.js';

/** What the health routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type HealthRouteDeps = Pick<Tessera, 'store'>;

const statusSchema = { type: 'object', properties: { status: { type: 'string' } } } as const;

/** GET /healthz (the process answers), GET /readyz (and its database does too). */
export async function healthRoutes(app: FastifyInstance, { tessera }: { tessera: HealthRouteDeps }): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: statusSchema } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: the database answers', tags: ['health'], response: { 200: statusSchema, ...errorResponses(503) } } },
    async () => {
      try {
        await tessera.store.ping();
      } catch (error) {
        throw new StoreUnavailableError({ cause: error });
      }
      return { status: 'ready' };
    },
  );
}
