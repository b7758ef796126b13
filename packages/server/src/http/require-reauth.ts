import type { FastifyRequest } from 'fastify';
import { REAUTH_HEADER, type ReauthProofs } from '../account/reauth-proofs.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser sent the request: browsers put `Origin` on every request that is not a GET and
 * `Sec-Fetch-Site` on every request, and a script in a page can remove neither. curl, scripts, other
 * servers and Node's own fetch (which sends `Sec-Fetch-Mode`, but neither of these) send neither.
 */
export function sentByBrowser(request: FastifyRequest): boolean {
  return request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;
}

/**
 * onRequest hook of the admin API, after the admin check: a change (any method but GET, HEAD, OPTIONS)
 * sent by a browser — the console, or a script injected into a page — must carry a proof that the admin
 * typed their password within the last five minutes (`Tessera-Reauth`, from `POST /api/me/reauth`),
 * else `403 reauth_required` before the body is read. Automation (no browser) is not asked.
 */
export function requireReauthFromBrowsers(proofs: ReauthProofs) {
  return async function checkReauth(request: FastifyRequest): Promise<void> {
    if (READS.has(request.method) || !sentByBrowser(request)) return;
    const header = request.headers[REAUTH_HEADER];
    await proofs.check(typeof header === 'string' ? header : undefined, request.principal!.userId);
  };
}
