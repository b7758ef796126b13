import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialCookie } from './cookie-values.js';

/**
 * The legacy session cookie, named as the seed's "Before" client reads it (`response.cookies["session_id"]`).
 * It keeps this name, without the `__Host-` prefix, until sessions end (SESSIONS_SUNSET): a prefixed
 * name would protect only once the plain one is refused, and refusing it breaks those clients. Two
 * `session_id` cookies in one request are refused instead, so a planted one cannot shadow the user's own.
 */
export const SESSION_COOKIE = 'session_id';

/**
 * Sent with every request to this site (the seed's clients call `/api/*`), never to scripts, only over
 * HTTPS, and not on cross-site subrequests or POSTs (Lax), which keeps cross-site request forgery out.
 */
const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

export function setSessionCookie(reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, value, { ...ATTRIBUTES, maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, ATTRIBUTES);
}

/** The session cookie; refused when the request carries two. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  return credentialCookie(request, [SESSION_COOKIE]);
}
