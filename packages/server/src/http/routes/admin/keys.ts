import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { KeyUse } from '../../../tokens/signing-key.js';
import type { Tessera } from '../../../tessera.js';
import { actorOf } from '../../require-role.js';
import { errorResponses } from '../../schemas.js';
import { key, keySchema } from './representations.js';

/** What the key routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminKeyRouteDeps = Pick<Tessera, 'admin'>;

const rotateBody = {
  type: 'object',
  properties: {
    use: { type: 'string', enum: ['access', 'refresh'], default: 'access', description: 'which key to replace (default: the access-token key)' },
  },
  additionalProperties: false,
} as const;

const rotatedSchema = {
  type: 'object',
  required: ['kid', 'use', 'alg', 'created_at', 'previous_kid', 'previous_retires_at'],
  properties: {
    kid: { type: 'string', description: 'the new signing key' },
    use: keySchema.properties.use,
    alg: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    previous_kid: { type: 'string', nullable: true, description: 'the key it replaces, which still verifies until previous_retires_at' },
    previous_retires_at: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

const revokedSchema = {
  type: 'object',
  required: ['kid', 'use', 'replacement_kid'],
  properties: {
    kid: { type: 'string', description: 'the revoked key' },
    use: keySchema.properties.use,
    replacement_kid: { type: 'string', nullable: true, description: 'the new signing key, when the revoked one was active' },
  },
} as const;

const security = [{ bearerAuth: [] }];
const tags = ['admin'];

/** /admin/keys: list signing keys; rotate one without logging anyone out; revoke a leaked one. */
export async function adminKeyRoutes(app: FastifyInstance, { tessera }: { tessera: AdminKeyRouteDeps }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  app.get(
    '/keys',
    {
      schema: {
        summary: 'Signing keys: the active one of each use and those retiring',
        tags,
        security,
        response: { 200: { type: 'array', items: keySchema }, ...errorResponses(401, 403) },
      },
    },
    async () => (await tessera.admin.keys.list()).map(key),
  );

  typed.post(
    '/keys/rotate',
    {
      // No body at all means the default: rotate the access-token key.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {} as { use: KeyUse };
      },
      schema: {
        summary: 'Rotate a signing key: the new key signs from now on; the old one verifies until its tokens expire',
        tags,
        security,
        body: rotateBody,
        response: { 201: rotatedSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { key: created, previous } = await tessera.admin.keys.rotate(request.body.use, actorOf(request));
      const shown = key(created);
      reply.code(201);
      return {
        kid: shown.kid,
        use: shown.use,
        alg: shown.alg,
        created_at: shown.created_at,
        previous_kid: previous?.kid ?? null,
        previous_retires_at: previous ? key(previous).retires_at : null,
      };
    },
  );

  typed.post(
    '/keys/:kid/revoke',
    {
      schema: {
        summary: 'Revoke a (leaked) signing key: it leaves the JWKS and every token it signed is refused at once, on every instance',
        tags,
        security,
        params: { type: 'object', required: ['kid'], properties: { kid: { type: 'string', minLength: 1, maxLength: 128 } } },
        response: { 200: revokedSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { revoked, replacement } = await tessera.admin.keys.revoke(request.params.kid, actorOf(request));
      return { kid: revoked.kid, use: revoked.use, replacement_kid: replacement?.kid ?? null };
    },
  );
}
