import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import { clientKey } from '../client-key.js';
import type { Config } from '../config.js';
import type { SharedRateLimit } from '../fleet/shared-rate-limit.js';
import { clientInfo } from './client-info.js';
import { canSpendOnLogout } from './credential-budgets.js';
import { RateLimitedError } from '../errors.js';

const WINDOW_MS = 60_000;
/** Distinct clients tracked per endpoint before the least recently seen are forgotten. */
const TRACKED_CLIENTS = 100_000;

/**
 * Registers the limiter; the logout routes opt in with `rateLimitedLogout`. Rejections are audited. With
 * `shared` (Redis), counts are shared by every instance; otherwise each instance counts on its own.
 */
export async function registerRateLimit(app: FastifyInstance, audit: AuditLog, shared?: SharedRateLimit): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    cache: TRACKED_CLIENTS,
    // The key every per-client limit uses (an IPv6 client is its /64), not the library's own default.
    keyGenerator: (request) => clientKey(request.ip),
    ...(shared ? { store: shared.store() } : {}),
    errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
    onExceeded: auditFirstRejection(audit),
  });
}

/** One audit event per client and endpoint per window, however many requests a flood sends. */
function auditFirstRejection(audit: AuditLog): (request: FastifyRequest, key: string) => void {
  const recorded = new Map<string, number>();
  return (request, key) => {
    const now = Date.now();
    const id = `${request.routeOptions.url}|${key}`;
    if ((recorded.get(id) ?? 0) > now) return;
    if (recorded.size >= TRACKED_CLIENTS) recorded.clear();
    recorded.set(id, now + WINDOW_MS);
    audit.record({ type: 'rate_limited', client: clientInfo(request), detail: { route: request.routeOptions.url } });
  };
}

/**
 * Names the credential a logout would end, when the request carries a genuine one (its signature or
 * the store says so): the key its limit counts it under instead of the client's address.
 */
export type LogoutCredentialKey = (request: FastifyRequest) => Promise<string | undefined>;

export type RouteLimit = {
  config?: {
    rateLimit: {
      max: number;
      timeWindow: number;
      hook: 'preHandler';
      allowList: (request: FastifyRequest) => boolean;
      keyGenerator: (request: FastifyRequest) => Promise<string>;
    };
  };
};

/**
 * Route options limiting a logout route to AUTH_RATE_LIMIT requests per minute (0 = unlimited) per
 * credential it ends, or per client (`clientKey`) for requests that carry no genuine credential. A
 * logout of one's own login is thus never refused because others behind the same address (an office
 * NAT) sent junk logouts; junk still counts per address, and one credential cannot be logged out
 * without end. Only requests that could log someone out count (`canSpendOnLogout`): a forged
 * cross-site request cannot spend the logouts of everyone behind an address. Counted once the body is
 * read (`preHandler`), after the route's same-origin check.
 */
export function rateLimitedLogout(config: Config, credentialKey: LogoutCredentialKey): RouteLimit {
  if (config.authRateLimit === 0) return {};
  return {
    config: {
      rateLimit: {
        max: config.authRateLimit,
        timeWindow: WINDOW_MS,
        hook: 'preHandler',
        allowList: (request) => !canSpendOnLogout(request),
        keyGenerator: async (request) => (await credentialKey(request)) ?? clientKey(request.ip),
      },
    },
  };
}
