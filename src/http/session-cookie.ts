import type { FastifyReply, FastifyRequest } from 'fastify';

/** The legacy session cookie, named as the seed's "Before" client reads it. */
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

export function sessionCookie(request: FastifyRequest): string | undefined {
  return request.cookies[SESSION_COOKIE] || undefined;
}
