import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TesseraError } from '../errors.js';
import { TesseraMetrics } from '../metrics/tessera-metrics.js';
import type { Tessera } from '../tessera.js';
import { bearerToken } from './authenticate.js';
import { errorResponses } from './schemas.js';

/**
 * GET /metrics in the Prometheus text format, and the hook timing every request by route pattern.
 * Public unless METRICS_TOKEN is set; never rate limited. Call before any route is registered.
 */
export function registerMetrics(app: FastifyInstance, tessera: Tessera): void {
  const metrics = new TesseraMetrics(tessera);
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => metrics.close());

  const token = tessera.config.metricsToken;
  app.get(
    '/metrics',
    {
      ...(token === undefined ? {} : { onRequest: requireMetricsToken(token) }),
      schema: {
        summary: 'Prometheus metrics (requests, latency, logins, refreshes, reuse, revocations, rate limits, active families)',
        description: 'Public unless METRICS_TOKEN is set; then send Authorization: Bearer <METRICS_TOKEN>.',
        tags: ['operations'],
        ...(token === undefined ? {} : { security: [{ metricsToken: [] }] }),
        response: {
          200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorResponses(401),
        },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.contentType);
      return metrics.render();
    },
  );
}

function requireMetricsToken(token: string) {
  const expected = digest(token);
  return async function authorizeScrape(request: FastifyRequest): Promise<void> {
    const presented = bearerToken(request);
    if (presented === undefined) {
      throw new TesseraError('unauthorized', 'GET /metrics requires "Authorization: Bearer <METRICS_TOKEN>"');
    }
    // Compared as digests: constant time, whatever the length of what was sent.
    if (!timingSafeEqual(digest(presented), expected)) throw new TesseraError('invalid_token', 'The metrics token is not valid');
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
