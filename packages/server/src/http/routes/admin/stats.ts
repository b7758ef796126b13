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

const movedQuery = {
  type: 'object',
  properties: { days: { type: 'integer', minimum: 1, maximum: 3650, default: 30 } },
  additionalProperties: false,
} as const;

const movedSchema = {
  type: 'object',
  required: ['days', 'since', 'handed_off', 'lazily_migrated', 'rehashed', 'total'],
  properties: {
    days: { type: 'integer' },
    since: { type: 'string', format: 'date-time' },
    handed_off: { type: 'integer', description: "users your app handed over by token exchange (RFC 8693)" },
    lazily_migrated: { type: 'integer', description: 'users created at their first login by asking your old app (LEGACY_AUTH_URL)' },
    rehashed: { type: 'integer', description: "users who logged in with an imported (or older) password hash, replaced by Tessera's own" },
    total: { type: 'integer', description: 'users who moved in any of these ways, each counted once' },
  },
} as const;

/** What the stats routes use. */
export type AdminStatsRouteDeps = Pick<Tessera, 'requestCounts' | 'admin'>;

/** /admin/stats/*: figures for the console. */
export async function adminStatsRoutes(app: FastifyInstance, { tessera }: { tessera: AdminStatsRouteDeps }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  typed.get(
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

  typed.get(
    '/stats/moved-users',
    {
      schema: {
        summary: "Users who moved over from your own app in the last days: handed off, lazily migrated, re-hashed at login",
        description: 'Counted from the audit trail, so at most AUDIT_RETENTION_DAYS back.',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        querystring: movedQuery,
        response: { 200: movedSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const moved = await tessera.admin.rollout.movedUsers(request.query.days);
      return {
        days: moved.days,
        since: new Date(moved.since).toISOString(),
        handed_off: moved.handedOff,
        lazily_migrated: moved.lazilyMigrated,
        rehashed: moved.rehashed,
        total: moved.total,
      };
    },
  );
}
