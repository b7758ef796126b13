import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialCookie } from './cookie-values.js';

/**
 * Browsers keep the refresh token here: out of reach of scripts, sent only to /auth over HTTPS. The
 * `__Secure-` prefix makes browsers refuse it from anything but a secure response of this site, so a
 * sibling subdomain cannot plant one over plain HTTP (`__Host-` would also pin it to this host, but it
 * requires Path=/, and this cookie must not travel with every API request).
 */
export const REFRESH_COOKIE = '__Secure-refresh_token';
/**
 * The name before cookie prefixes, still read during the transition: every refresh answers with the
 * new name and clears this one, and a cookie of this name set before the upgrade is expired by the
 * browser REFRESH_TOKEN_EXPIRY later, after which this name can go (the release after next).
 */
export const LEGACY_REFRESH_COOKIE = 'refresh_token';
const NAMES = [REFRESH_COOKIE, LEGACY_REFRESH_COOKIE] as const;
const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'strict', path: '/auth' } as const;

export function setRefreshCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.setCookie(REFRESH_COOKIE, token, { ...ATTRIBUTES, maxAge: maxAgeSeconds });
  if (reply.request.cookies[LEGACY_REFRESH_COOKIE] !== undefined) reply.clearCookie(LEGACY_REFRESH_COOKIE, ATTRIBUTES);
}

export function clearRefreshCookie(reply: FastifyReply): void {
  for (const name of NAMES) reply.clearCookie(name, ATTRIBUTES);
}

/** The refresh cookie, under either name; refused when the request carries two that differ. */
export function refreshCookie(request: FastifyRequest): string | undefined {
  return credentialCookie(request, NAMES);
}

/** Whether the request carries a refresh cookie at all (for the same-origin check). */
export const hasRefreshCookie = (request: FastifyRequest): boolean => NAMES.some((name) => request.cookies[name] !== undefined);
