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
 * The headers of every response, errors and 404s included (app.ts sets them as each request arrives).
 * They depend on the configuration only, never on the request, so helmet is run once at start-up and
 * what it sets is replayed: running its eleven middlewares per request was about 2.5% of the CPU of a
 * cached GET (issue 18), and @fastify/helmet 13, which rebuilds them per request, cost a third of the
 * throughput (issue 12).
 */
export function recordedSecurityHeaders(config: Config): Readonly<Record<string, string>> {
  return helmetHeaders(securityHeaders(config));
}

/** The headers helmet sets on a response, recorded from one run of its middleware. */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as never, response as never, (error?: unknown) => void (failure = error));
  if (failure) throw failure as Error;
  return headers;
}
