import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { TesseraError } from '../errors.js';
import { hasRefreshCookie } from './refresh-cookie.js';
import { SESSION_COOKIE } from './session-cookie.js';

type Done = (error?: Error) => void;

/** Fetch Metadata values of a request this site's own pages made, or a person typed or bookmarked. */
const OWN_SITE_FETCHES = new Set(['same-origin', 'none']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser request comes from one of our own origins. A request with an `Origin` header is
 * judged by it (`null`, from a sandbox or a redirect, is foreign); one without, by `Sec-Fetch-Site`;
 * one with neither comes from a client that is not a browser — curl, a mobile app, Python `requests` —
 * and whose cookies no web page can make it send: browsers put `Origin` on every cross-origin POST and
 * `Sec-Fetch-Site` on every request, so a forged request can never arrive without both.
 */
export function sameOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return allowed.has(origin);
  const site = request.headers['sec-fetch-site'];
  return site === undefined || OWN_SITE_FETCHES.has(site);
}

/** PUBLIC_URL's origin, ALLOWED_ORIGINS and CORS_ORIGINS: where our cookie-authenticated requests may come from. */
export function allowedOrigins(config: Config): ReadonlySet<string> {
  return new Set([new URL(config.publicUrl).origin, ...config.allowedOrigins, ...config.corsOrigins]);
}

function assertSameOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): void {
  if (sameOrigin(request, allowed)) return;
  throw new TesseraError(
    'cross_site_request',
    'Requests authenticated by a cookie must come from this site (PUBLIC_URL) or an origin in ALLOWED_ORIGINS or CORS_ORIGINS; ' +
      'other clients send "Authorization: Bearer <access_token>" or the refresh token in the JSON body',
  );
}

/**
 * Whether the request is authenticated by one of our cookies: it carries one, and no Authorization
 * header (which no other site can make a browser send without our consent, so it is never forged).
 */
export function carriesCredentialCookie(request: FastifyRequest): boolean {
  // Only Bearer: a browser adds Basic credentials (of a proxy, say) to cross-site requests on its own.
  if (/^Bearer /i.test(request.headers.authorization ?? '')) return false;
  return request.cookies[SESSION_COOKIE] !== undefined || hasRefreshCookie(request);
}

/**
 * onRequest hook of the routes that change state on a cookie's authority (refresh, logout, session
 * exchange, session logout): a cookie-carrying request from another origin is refused with 403 before
 * its body is read. Login is not one of them; Bearer-authenticated requests are never checked.
 */
export function requireSameOriginForCookies(config: Config) {
  const allowed = allowedOrigins(config);
  return function checkOrigin(request: FastifyRequest, _reply: FastifyReply, done: Done): void {
    if (!carriesCredentialCookie(request)) return done();
    try {
      assertSameOrigin(request, allowed);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
}

/**
 * For the session-authenticated requests of the API: state-changing methods only. `method` is the
 * request's own unless a proxy asks on behalf of another request (forward auth's X-Original-Method).
 */
export function assertSameOriginForSession(request: FastifyRequest, allowed: ReadonlySet<string>, method = request.method): void {
  if (!SAFE_METHODS.has(method)) assertSameOrigin(request, allowed);
}
