import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { UserPage } from '../../users/user.js';
import type { Tessera } from '../../tessera.js';
import { authenticate as authenticateCaller, type AuthenticationDeps } from '../authenticate.js';
import { errorResponses, offsetParam, publicUserSchema } from '../schemas.js';

/** What the user routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type UserRouteDeps = Pick<Tessera, 'users'> & AuthenticationDeps;

const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: offsetParam,
  },
  additionalProperties: false,
} as const;

const meSchema = {
  type: 'object',
  required: ['id', 'role', 'auth'],
  properties: {
    id: { type: 'string', description: 'user id (the token subject)' },
    role: { type: 'string' },
    auth: { type: 'string', enum: ['jwt', 'session'], description: 'how the caller authenticated' },
    expires_at: { type: 'string', format: 'date-time', description: 'when the credential expires' },
  },
} as const;

/**
 * GET /api/users: the user list, for any authenticated caller; never a password hash.
 * GET /api/me: who the caller is, answered from the credential alone — for an access token, no database
 * involved. Both accept a Bearer access token, or a legacy session cookie while LEGACY_SESSIONS=on.
 */
export async function userRoutes(app: FastifyInstance, { tessera }: { tessera: UserRouteDeps }): Promise<void> {
  const authenticate = authenticateCaller(tessera);
  // The store hands out the same frozen page until the users change; its JSON is made once per page.
  const pageJson = new WeakMap<UserPage, string>();
  const toJson = (page: UserPage): string =>
    JSON.stringify(
      page.users.map((user) => ({
        id: user.id,
        username: user.username,
        role: user.role,
        created_at: new Date(user.createdAt).toISOString(),
      })),
    );

  app.get(
    '/me',
    {
      onRequest: authenticate,
      schema: {
        summary: 'The authenticated caller, from the credential alone',
        tags: ['api'],
        security: [{ bearerAuth: [] }, { sessionCookie: [] }],
        response: { 200: meSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const principal = request.principal!;
      return {
        id: principal.userId,
        role: principal.role,
        auth: principal.via,
        expires_at: new Date(principal.expiresAt).toISOString(),
      };
    },
  );

  app.withTypeProvider<JsonSchemaToTsProvider>().get(
    '/users',
    {
      onRequest: authenticate,
      schema: {
        summary: 'List users (paged with limit and offset; X-Total-Count gives the total)',
        tags: ['api'],
        security: [{ bearerAuth: [] }, { sessionCookie: [] }],
        querystring: listQuery,
        response: { 200: { type: 'array', items: publicUserSchema }, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const page = await tessera.users.list(request.query);
      let json = pageJson.get(page);
      if (json === undefined) pageJson.set(page, (json = toJson(page)));
      // The page's JSON, made once per page (above), goes out as it is rather than through the response schema.
      const untyped: FastifyReply = reply;
      return untyped.header('x-total-count', String(page.total)).type('application/json; charset=utf-8').send(json);
    },
  );
}
