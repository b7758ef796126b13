import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Config } from '../config.js';

/** A year, with subdomains: the max-age that HSTS preload lists ask for. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * The security headers of every response, set by helmet. Our responses are JSON, so the policy
 * lets a page load nothing and be framed by no one; Swagger UI (/docs) sends its own, looser
 * policy for its scripts and styles (see openapi.ts). HSTS only in production, where TLS is in front:
 * on http://localhost it would pin the browser to https for a year.
 */
export function securityHeaders(config: Config): FastifyHelmetOptions {
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
