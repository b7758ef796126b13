import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { Config } from '../config.js';

/** A year, with subdomains: the max-age that HSTS preload lists ask for. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * The security headers of every response, set by helmet. Our responses are JSON, so the policy
 * lets a page load nothing and be framed by no one; Swagger UI (/docs) sends its own, looser
 * policy for its scripts and styles (see openapi.ts). HSTS only in production, where TLS is in front:
 * on http://localhost it would pin the browser to https for a year.
 */
export function securityHeaders(config: Config): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    strictTransportSecurity:
      config.env === 'production' ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  };
}

/**
 * Applies helmet's headers on every request, errors and 404s included. helmet's middleware is built
 * once here: @fastify/helmet 13 rebuilds it on every request, which cost about a third of GET /api/users
 * throughput when measured beside this (issue 12).
 */
export function registerSecurityHeaders(app: FastifyInstance, config: Config): void {
  const apply = helmet(securityHeaders(config));
  app.addHook('onRequest', (request, reply, done) => apply(request.raw, reply.raw, (error) => done(error as Error | undefined)));
}
