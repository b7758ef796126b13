import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { LoginThrottleStatus } from '../../../auth/login-throttle.js';
import type { Tessera } from '../../../tessera.js';
import { actorOf } from '../../require-role.js';
import { errorResponses } from '../../schemas.js';
import { userParams } from './representations.js';

/** What the login-throttle routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminLoginThrottleRouteDeps = Pick<Tessera, 'admin'>;

const throttleSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    failures: { type: 'integer', description: 'failed logins of the account in the current window, from every client IP' },
    delay_ms: { type: 'integer', description: 'how long each check of the account is held before the password is verified' },
    resets_at: { type: ['string', 'null'], format: 'date-time', description: 'when the window, and every per-IP lock on the account, ends' },
  },
} as const;

const representation = (status: LoginThrottleStatus) => ({
  username: status.username,
  failures: status.failures,
  delay_ms: status.delayMs,
  resets_at: status.resetsAt === null ? null : new Date(status.resetsAt).toISOString(),
});

const security = [{ bearerAuth: [] }];
const tags = ['admin'];

/** /admin/users/:id/login-throttle: see an account's failed logins, and clear its slowdown and locks. */
export async function adminLoginThrottleRoutes(app: FastifyInstance, { tessera }: { tessera: AdminLoginThrottleRouteDeps }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  typed.get(
    '/users/:id/login-throttle',
    {
      schema: {
        summary: "An account's failed logins: how many in the window, and how much its logins are slowed",
        tags,
        security,
        params: userParams,
        response: { 200: throttleSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const user = await tessera.admin.accounts.get(request.params.id);
      return representation(await tessera.admin.loginThrottle.status(user.username));
    },
  );

  typed.delete(
    '/users/:id/login-throttle',
    {
      schema: {
        summary: "Unlock an account: forget its failed logins, its slowdown and every per-IP refusal (answers what was cleared)",
        tags,
        security,
        params: userParams,
        response: { 200: throttleSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const user = await tessera.admin.accounts.get(request.params.id);
      return representation(await tessera.admin.loginThrottle.unlock(user.username, actorOf(request)));
    },
  );
}
