import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../tessera.js';
import { requireAccessToken } from '../authenticate.js';
import { errorResponses, publicUserSchema } from '../schemas.js';

const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
  additionalProperties: false,
} as const;

/** GET /api/users: the user list, for any authenticated caller; never a password hash. */
export async function userRoutes(app: FastifyInstance, { tessera }: { tessera: Tessera }): Promise<void> {
  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/users',
    {
      preHandler: requireAccessToken(tessera.accessTokens),
      schema: {
        summary: 'List users (paged with limit and offset; X-Total-Count gives the total)',
        tags: ['api'],
        security: [{ bearerAuth: [] }],
        querystring: listQuery,
        response: { 200: { type: 'array', items: publicUserSchema }, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const { users, total } = await tessera.users.list(request.query);
      reply.header('x-total-count', String(total));
      return users.map((user) => ({
        id: user.id,
        username: user.username,
        role: user.role,
        created_at: new Date(user.createdAt).toISOString(),
      }));
    },
  );
}
