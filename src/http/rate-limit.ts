import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { RateLimitedError } from './error-handler.js';

const WINDOW_MS = 60_000;
/** Distinct clients tracked per endpoint before the least recently seen are forgotten. */
const TRACKED_CLIENTS = 100_000;

/** Registers the limiter; routes opt in with `rateLimitedRoute(config)`. */
export async function registerRateLimit(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    cache: TRACKED_CLIENTS,
    errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

/** Route options limiting a route to AUTH_RATE_LIMIT requests per minute per client IP (0 = unlimited). */
export type RouteLimit = { config?: { rateLimit: { max: number; timeWindow: number } } };

export function rateLimitedRoute(config: Config): RouteLimit {
  if (config.authRateLimit === 0) return {};
  return { config: { rateLimit: { max: config.authRateLimit, timeWindow: WINDOW_MS } } };
}
