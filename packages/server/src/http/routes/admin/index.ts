import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../../tessera.js';
import { requireRecentReauth } from '../../require-reauth.js';
import { requireRole } from '../../require-role.js';
import { adminAuditRoutes } from './audit.js';
import { adminDeviceRoutes } from './devices.js';
import { adminKeyRoutes } from './keys.js';
import { adminLoginThrottleRoutes } from './login-throttle.js';
import { adminRolloutRoutes } from './rollout.js';
import { adminStatsRoutes } from './stats.js';
import { adminServiceRoutes } from './services.js';
import { adminUserRoutes } from './users.js';

/** What the admin routes use: the role check, and the operator actions (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminRouteDeps = Pick<Tessera, 'accessTokens' | 'admin' | 'requestCounts' | 'reauthProofs'>;

/**
 * /admin/*: for access tokens with the admin role only, and a change only with a recent password (a fresh
 * login or a re-authentication proof of the same login); both checked before the body is even read.
 */
export async function adminRoutes(app: FastifyInstance, { tessera }: { tessera: AdminRouteDeps }): Promise<void> {
  app.addHook('onRequest', requireRole(tessera.accessTokens, 'admin'));
  app.addHook('onRequest', requireRecentReauth(tessera.reauthProofs));
  await app.register(adminUserRoutes, { tessera });
  await app.register(adminDeviceRoutes, { tessera });
  await app.register(adminKeyRoutes, { tessera });
  await app.register(adminAuditRoutes, { tessera });
  await app.register(adminRolloutRoutes, { tessera });
  await app.register(adminLoginThrottleRoutes, { tessera });
  await app.register(adminStatsRoutes, { tessera });
  await app.register(adminServiceRoutes, { tessera });
}
