import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { RolloutState } from '../../../rollout/rollout-policy.js';
import type { Tessera } from '../../../tessera.js';
import { actorOf } from '../../require-role.js';
import { errorResponses } from '../../schemas.js';

/** What the rollout routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminRolloutRouteDeps = Pick<Tessera, 'admin'>;

const rolloutSchema = {
  type: 'object',
  required: ['percent', 'source', 'overrides'],
  properties: {
    percent: { type: 'integer', description: 'share of users (0–100, stable per user) who may log in with JWTs' },
    source: { type: 'string', enum: ['database', 'environment'], description: 'database: set by an operator; environment: JWT_ROLLOUT_PERCENT' },
    overrides: {
      type: 'array',
      items: {
        type: 'object',
        required: ['user_id', 'username', 'enabled', 'updated_at'],
        properties: {
          user_id: { type: 'string' },
          username: { type: 'string' },
          enabled: { type: 'boolean', description: 'true: always JWT; false: never (keeps sessions)' },
          updated_at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

const setBody = {
  type: 'object',
  required: ['percent'],
  properties: {
    percent: { type: 'integer', minimum: 0, maximum: 100 },
    revoke: { type: 'boolean', default: false, description: 'also revoke the tokens of every user now outside the rollout' },
  },
  additionalProperties: false,
} as const;

const overrideBody = {
  type: 'object',
  required: ['enabled'],
  properties: { enabled: { type: 'boolean', nullable: true, description: 'true: always JWT; false: never; null: the percentage decides' } },
  additionalProperties: false,
} as const;

const usageQuery = {
  type: 'object',
  properties: { days: { type: 'integer', minimum: 1, maximum: 3650, default: 30 } },
  additionalProperties: false,
} as const;

const usageSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['user_id', 'username', 'user_agent', 'requests', 'first_seen', 'last_seen'],
    properties: {
      user_id: { type: 'string' },
      username: { type: 'string', nullable: true },
      user_agent: { type: 'string', nullable: true },
      requests: { type: 'integer' },
      first_seen: { type: 'string', format: 'date-time' },
      last_seen: { type: 'string', format: 'date-time' },
    },
  },
} as const;

const tags = ['admin'];
const security = [{ bearerAuth: [] }];
const iso = (ms: number) => new Date(ms).toISOString();

const rolloutView = (state: RolloutState) => ({
  percent: state.percent,
  source: state.source,
  overrides: state.overrides.map((o) => ({ user_id: o.userId, username: o.username, enabled: o.enabled, updated_at: iso(o.updatedAt) })),
});

/** /admin/rollout and /admin/legacy-usage: the JWT rollout and who still uses sessions. */
export async function adminRolloutRoutes(app: FastifyInstance, { tessera }: { tessera: AdminRolloutRouteDeps }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  app.get('/rollout', { schema: { summary: 'The JWT rollout: percentage, its source, per-user overrides', tags, security, response: { 200: rolloutSchema, ...errorResponses(401, 403) } } }, async () =>
    rolloutView(await tessera.admin.rollout.show()),
  );

  typed.put(
    '/rollout',
    {
      schema: {
        summary: 'Set the rollout percentage for every instance (0 = rollback: no new JWT logins)',
        tags,
        security,
        body: setBody,
        response: {
          200: {
            type: 'object',
            properties: {
              ...rolloutSchema.properties,
              previous_percent: { type: 'integer' },
              revoked_users: { type: 'integer', nullable: true },
              revoked_access_tokens: { type: 'integer', nullable: true },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { previous, revoked } = await tessera.admin.rollout.setPercent(request.body.percent, request.body.revoke, actorOf(request));
      return {
        ...rolloutView(await tessera.admin.rollout.show()),
        previous_percent: previous.percent,
        revoked_users: revoked?.users ?? null,
        revoked_access_tokens: revoked?.accessTokens ?? null,
      };
    },
  );

  app.delete('/rollout', { schema: { summary: 'Forget the stored percentage: JWT_ROLLOUT_PERCENT applies again', tags, security, response: { 200: rolloutSchema, ...errorResponses(401, 403) } } }, async (request) => {
    await tessera.admin.rollout.reset(actorOf(request));
    return rolloutView(await tessera.admin.rollout.show());
  });

  typed.put(
    '/rollout/overrides/:username',
    {
      schema: {
        summary: 'Override the rollout for one user (true: always JWT, false: never, null: clear)',
        tags,
        security,
        params: { type: 'object', required: ['username'], properties: { username: { type: 'string', minLength: 1, maxLength: 256 } } },
        body: overrideBody,
        response: { 200: rolloutSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await tessera.admin.rollout.setOverride(request.params.username, request.body.enabled, actorOf(request));
      return rolloutView(await tessera.admin.rollout.show());
    },
  );

  typed.get(
    '/legacy-usage',
    {
      schema: {
        summary: 'Who still uses session cookies: requests per user and client, most recent first',
        tags,
        security,
        querystring: usageQuery,
        response: { 200: usageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) =>
      (await tessera.admin.rollout.legacyUsage(request.query.days)).map((u) => ({
        user_id: u.userId,
        username: u.username,
        user_agent: u.userAgent === '' ? null : u.userAgent,
        requests: u.requestCount,
        first_seen: iso(u.firstSeen),
        last_seen: iso(u.lastSeen),
      })),
  );
}
