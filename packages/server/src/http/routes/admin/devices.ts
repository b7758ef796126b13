import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../../tessera.js';
import { actorOf } from '../../require-role.js';
import { errorResponses } from '../../schemas.js';
import { family, familySchema, signOutBody, signOutSchema, userParams } from './representations.js';

/** What the device routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminDeviceRouteDeps = Pick<Tessera, 'admin'>;

const familyParams = {
  type: 'object',
  required: ['id', 'familyId'],
  properties: {
    id: userParams.properties.id,
    familyId: { type: 'string', minLength: 1, maxLength: 200, description: 'refresh-token family id' },
  },
} as const;

const security = [{ bearerAuth: [] }];
const tags = ['admin'];

/** /admin/users/:id/families: a user's logged-in devices; sign out one, or all of them. */
export async function adminDeviceRoutes(app: FastifyInstance, { tessera }: { tessera: AdminDeviceRouteDeps }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  const { accounts, devices } = tessera.admin;

  typed.get(
    '/users/:id/families',
    {
      schema: {
        summary: "A user's active refresh-token families, one per logged-in device, most recently used first",
        tags,
        security,
        params: userParams,
        response: { 200: { type: 'array', items: familySchema }, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const user = await accounts.get(request.params.id);
      return (await devices.list(user.id)).map(family);
    },
  );

  typed.delete(
    '/users/:id/families/:familyId',
    {
      schema: {
        summary: 'Sign out one device: revoke the family and every access token issued in it',
        tags,
        security,
        params: familyParams,
        response: { 200: signOutSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const result = await devices.signOut(request.params.familyId, actorOf(request), request.params.id);
      return signOutBody(result);
    },
  );

  typed.delete(
    '/users/:id/families',
    {
      schema: {
        summary: 'Sign the user out everywhere: every family and every unexpired access token',
        tags,
        security,
        params: userParams,
        response: { 200: signOutSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const user = await accounts.get(request.params.id);
      const result = await devices.signOutEverywhere(user.id, actorOf(request));
      return signOutBody(result);
    },
  );
}
