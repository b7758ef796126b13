import type { FastifyRequest } from 'fastify';
import { REAUTH_HEADER, type ReauthProofs } from '../account/reauth-proofs.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * onRequest hook of the admin API, after the admin check: a change (any method but GET, HEAD, OPTIONS)
 * needs a credential whose password was proven within REAUTH_MAX_AGE (the token's `auth_time`) or a
 * proof that the admin typed it again (`Tessera-Reauth`, from `POST /api/me/reauth`) made with this
 * same login, else `403 reauth_required` before the body is read. The rule follows the credential, not
 * the request's headers: a token copied out of a browser is refused from curl just the same.
 */
export function requireRecentReauth(proofs: ReauthProofs) {
  return async function checkReauth(request: FastifyRequest): Promise<void> {
    if (READS.has(request.method)) return;
    const header = request.headers[REAUTH_HEADER];
    await proofs.requireRecent(request.principal!, typeof header === 'string' ? header : undefined);
  };
}
