import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { ServiceChange } from '../../../admin/services.js';
import type { ServiceClientRecord } from '../../../oauth/service-client.js';
import type { Tessera } from '../../../tessera.js';
import { actorOf } from '../../require-role.js';
import { errorResponses } from '../../schemas.js';

const serviceSchema = {
  type: 'object',
  required: ['name', 'client_id', 'audience', 'token_exchange', 'state', 'created_at', 'revoked_at'],
  properties: {
    name: { type: 'string' },
    client_id: { type: 'string' },
    audience: { type: 'string', nullable: true, description: 'aud of its tokens when a token request names no resource' },
    token_exchange: { type: 'boolean', description: 'whether it may exchange its signed-in users for token pairs (RFC 8693)' },
    state: { type: 'string', enum: ['active', 'revoked'] },
    created_at: { type: 'string', format: 'date-time' },
    revoked_at: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

const addBody = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 64 }, audience: { type: 'string', maxLength: 200 } },
  additionalProperties: false,
} as const;

/** The answer to a revoke or a token-exchange change: the service, and the logins it had started that were signed out. */
const changeSchema = {
  ...serviceSchema,
  required: [...serviceSchema.required, 'revoked_families'],
  properties: {
    ...serviceSchema.properties,
    revoked_families: { type: 'integer', description: 'logins (refresh-token families) the service had started by token exchange, signed out by this change' },
  },
} as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } } as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const service = (record: ServiceClientRecord) => ({
  name: record.name,
  client_id: record.clientId,
  audience: record.audience,
  token_exchange: record.tokenExchangeAt !== null,
  state: record.revokedAt === null ? ('active' as const) : ('revoked' as const),
  created_at: new Date(record.createdAt).toISOString(),
  revoked_at: iso(record.revokedAt),
});

const change = (record: ServiceChange) => ({ ...service(record), revoked_families: record.revokedFamilies });

/** What the service routes use: the operator actions. */
export type AdminServiceRouteDeps = Pick<Tessera, 'admin'>;

const security = [{ bearerAuth: [] }];
const tags = ['admin'];

/** /admin/services: service credentials — create (the secret is in this one response), list, revoke. */
export async function adminServiceRoutes(app: FastifyInstance, { tessera }: { tessera: AdminServiceRouteDeps }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  app.get(
    '/services',
    {
      schema: {
        summary: 'Services holding client credentials, active and revoked',
        tags,
        security,
        response: { 200: { type: 'array', items: serviceSchema }, ...errorResponses(401, 403) },
      },
    },
    async () => (await tessera.admin.services.list()).map(service),
  );

  typed.post(
    '/services',
    {
      schema: {
        summary: 'Create service credentials: client_secret appears in this response only',
        tags,
        security,
        body: addBody,
        response: {
          201: { ...serviceSchema, required: [...serviceSchema.required, 'client_secret'], properties: { ...serviceSchema.properties, client_secret: { type: 'string' } } },
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { service: created, clientSecret } = await tessera.admin.services.add(request.body.name, request.body.audience ?? null, actorOf(request));
      return reply.code(201).header('cache-control', 'no-store').send({ ...service(created), client_secret: clientSecret });
    },
  );

  typed.put(
    '/services/:name/token-exchange',
    {
      schema: {
        summary: 'Allow or forbid a service to exchange its signed-in users for token pairs (RFC 8693; never admin or service users); forbidding signs out the users it signed in that way',
        tags,
        security,
        params: nameParams,
        body: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } }, additionalProperties: false },
        response: { 200: changeSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => change(await tessera.admin.services.setTokenExchange(request.params.name, request.body.enabled, actorOf(request))),
  );

  typed.post(
    '/services/:name/revoke',
    {
      schema: {
        summary: 'Revoke a service: its credentials and every token issued to it are refused from now on, and the users it signed in by token exchange are signed out',
        tags,
        security,
        params: nameParams,
        response: { 200: changeSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => change(await tessera.admin.services.revoke(request.params.name, actorOf(request))),
  );
}
