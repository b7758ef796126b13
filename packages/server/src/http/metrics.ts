import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TesseraError } from '../errors.js';
import { TesseraMetrics, type MetricsSources } from '../metrics/tessera-metrics.js';
import type { Tessera } from '../tessera.js';
import { bearerToken } from './authenticate.js';
import type { RequestLog } from './request-log.js';
import { errorResponses } from './schemas.js';

/** What the metrics endpoint uses (the composition root passes the whole `Tessera`; this says which of it). */
export type MetricsDeps = Pick<Tessera, 'config'> & MetricsSources;

/**
 * GET /metrics in the Prometheus text format, and every answered request timed by route pattern (told
 * by `requests`, the app's request log, as each request completes). Behind METRICS_TOKEN when set;
 * without it public in development and refused in production. Never rate limited.
 */
export function registerMetrics(app: FastifyInstance, tessera: MetricsDeps, requests: Pick<RequestLog, 'observe'>): void {
  const metrics = new TesseraMetrics(tessera);
  requests.observe((request, reply) =>
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000),
  );
  app.addHook('onClose', async () => metrics.close());

  const token = tessera.config.metricsToken;
  const guard = token !== undefined ? requireMetricsToken(token) : tessera.config.env === 'production' ? refuseScrape : undefined;
  app.get(
    '/metrics',
    {
      ...(guard === undefined ? {} : { onRequest: guard }),
      schema: {
        summary: 'Prometheus metrics (requests, latency, logins, refreshes, reuse, revocations, rate limits, active families)',
        description:
          'Send Authorization: Bearer <METRICS_TOKEN> when METRICS_TOKEN is set. Without it, public in development and refused in production.',
        tags: ['operations'],
        ...(guard === undefined ? {} : { security: [{ metricsToken: [] }] }),
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

/** Production without METRICS_TOKEN: process and login figures are not for the public. */
async function refuseScrape(): Promise<void> {
  throw new TesseraError('unauthorized', 'GET /metrics is disabled in production until METRICS_TOKEN is set; then send "Authorization: Bearer <METRICS_TOKEN>"');
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
