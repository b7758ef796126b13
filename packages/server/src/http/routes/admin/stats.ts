import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../../tessera.js';
import { errorResponses } from '../../schemas.js';

const query = {
  type: 'object',
  properties: { days: { type: 'integer', minimum: 1, maximum: 90, default: 7 } },
  additionalProperties: false,
} as const;

const hoursSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['hour', 'jwt', 'session'],
    properties: {
      hour: { type: 'string', format: 'date-time', description: 'start of the hour (UTC)' },
      jwt: { type: 'integer', description: 'requests authenticated with an access token' },
      session: { type: 'integer', description: 'requests authenticated with a legacy session cookie' },
    },
  },
} as const;

/** What the stats routes use. */
export type AdminStatsRouteDeps = Pick<Tessera, 'requestCounts'>;

/** /admin/stats/*: figures for the console. */
export async function adminStatsRoutes(app: FastifyInstance, { tessera }: { tessera: AdminStatsRouteDeps }): Promise<void> {
  app.withTypeProvider<JsonSchemaToTsProvider>().get(
    '/stats/authenticated-requests',
    {
      schema: {
        summary: 'Authenticated requests per hour, JWT against session, over the last days (every instance, oldest hour first)',
        description: 'Each instance counts in memory and writes every REQUEST_COUNTS_FLUSH_INTERVAL_MS; hours without requests are zeros.',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        querystring: query,
        response: { 200: hoursSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) =>
      (await tessera.requestCounts.lastDays(request.query.days)).map((h) => ({
        hour: new Date(h.hour).toISOString(),
        jwt: h.jwt,
        session: h.session,
      })),
  );
}
