import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** Where pages of other origins may call: the Auth API and the resource API, nothing operators use. */
const CORS_PATHS = /^\/(?:auth|api)(?:\/|\?|$)/;
/** The browser SDK is public: any page may import it (module scripts are fetched with CORS), without credentials. */
const PUBLIC_PATHS = /^\/sdk\//;
/** Browsers cache a preflight answer this long (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS_ORIGINS: pages of these origins may call /auth/* and /api/* with credentials (the refresh cookie
 * and Authorization). Only a listed origin is echoed, never `*`, and every answer on those paths says
 * `Vary: Origin` so that a cache never serves one origin's answer to another. Other paths (admin API,
 * metrics) answer no CORS at all, except the SDK, which any page may import; with the list empty, no origin is allowed anything.
 */
export async function registerCors(app: FastifyInstance, config: Pick<Config, 'corsOrigins'>): Promise<void> {
  const listed = new Set(config.corsOrigins);
  // With no origin listed there is nothing to allow on /auth and /api: the SDK's own plugin (sdkCors)
  // answers for /sdk/, and no request pays for working out per-request CORS options that all say no.
  if (listed.size === 0) return;
  await app.register(cors, {
    // A preflight without Access-Control-Request-Method gets the same answer rather than a text/plain 400.
    strictPreflight: false,
    delegator: (request: FastifyRequest, callback) => {
      if (PUBLIC_PATHS.test(request.url)) return callback(null, { origin: '*', methods: ['GET', 'HEAD'] });
      const origin = request.headers.origin;
      const allowed = CORS_PATHS.test(request.url) && origin !== undefined && listed.has(origin);
      callback(null, {
        origin: allowed ? origin : false,
        credentials: true,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type'],
        exposedHeaders: ['www-authenticate', 'retry-after', 'deprecation', 'sunset', 'link'],
        maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      });
    },
  });
}

/**
 * The browser SDK's CORS, for its own routes: any page may import it, without credentials. Registered in
 * the SDK's plugin (its routes only); the global CORS above gives the same answer when it is registered.
 */
export async function sdkCors(app: FastifyInstance, config: Pick<Config, 'corsOrigins'>): Promise<void> {
  if (config.corsOrigins.length > 0) return;
  await app.register(cors, { origin: '*', methods: ['GET', 'HEAD'], strictPreflight: false });
}
