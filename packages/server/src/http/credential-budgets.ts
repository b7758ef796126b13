import type { FastifyRequest } from 'fastify';
import { clientKey } from '../client-key.js';
import { WindowCounts } from '../fleet/window-counts.js';
import type { Tessera } from '../tessera.js';
import { clientInfo } from './client-info.js';
import { refreshClaimsOf } from './refresh-claims.js';
import { hasRefreshCookie, refreshCookie } from './refresh-cookie.js';
import { RequestBudget } from './request-budget.js';
import { SESSION_COOKIE } from './session-cookie.js';

/** What the credential budgets use (the composition root passes the whole `Tessera`; this says which of it). */
export type CredentialBudgetDeps = Pick<Tessera, 'audit' | 'clock' | 'config' | 'fleet' | 'refreshTokens'>;

const MINUTE_MS = 60_000;

/**
 * Whether a request can get past the cheap refusals to a credential check: it sends JSON (the body the
 * login and refresh routes read; anything else is a 415) or one of our cookies. A forged cross-site
 * request is neither — a page can only send a "simple" body without a preflight, and SameSite keeps
 * our cookies off it — so another site cannot spend the budgets of the people behind an address.
 */
export function canSpend(request: FastifyRequest, cookie: (request: FastifyRequest) => boolean): boolean {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || cookie(request);
}
const hasSessionCookie = (request: FastifyRequest) => request.cookies[SESSION_COOKIE] !== undefined;

/**
 * The same rule for the logout routes (AUTH_RATE_LIMIT per IP): they also take a Bearer access token
 * and either of our cookies. A request with none of them is refused without costing anyone a logout.
 */
export const canSpendOnLogout = (request: FastifyRequest): boolean =>
  request.headers.authorization !== undefined || canSpend(request, (r) => hasRefreshCookie(r) || hasSessionCookie(r));

type Hook = (request: FastifyRequest) => Promise<void>;

/** The hooks that take from the shared budgets, for the routes that spend them. */
export interface CredentialBudgets {
  /** One per-client budget (AUTH_RATE_LIMIT a minute, keyed by `clientKey`) for /auth/login, /api/login and /auth/session/exchange. */
  credential: Hook;
  /** /auth/refresh: a generous per-client ceiling (REFRESH_IP_RATE_LIMIT, keyed by `clientKey`), counted before anything else. */
  refreshIp: Hook;
  /** /auth/refresh: REFRESH_RATE_LIMIT a minute per refresh-token family, named by a token whose signature verified. */
  refreshFamily: Hook;
  /** A confirmation mail about to go: CONFIRMATION_MAILS_PER_HOUR per account (spent only when a mail is sent). */
  confirmationMail: Hook;
}

/** How many confirmation links a user may have mailed to their address in an hour. */
export const CONFIRMATION_MAILS_PER_HOUR = 5;

export function credentialBudgets(tessera: CredentialBudgetDeps): CredentialBudgets {
  const { config, audit, clock } = tessera;
  const counts = new WindowCounts(tessera.fleet?.rateLimit, clock);
  const budget = (name: string, max: number) => new RequestBudget(counts, { name, max, windowMs: MINUTE_MS }, audit);
  const credential = budget('credential', config.authRateLimit);
  const refreshIp = budget('refresh-ip', config.refreshIpRateLimit);
  const refreshFamily = budget('refresh-family', config.refreshRateLimit);
  const confirmationMail = new RequestBudget(counts, { name: 'confirmation-mail', max: CONFIRMATION_MAILS_PER_HOUR, windowMs: 60 * MINUTE_MS }, audit);
  const route = (request: FastifyRequest) => request.routeOptions.url ?? request.url;
  return {
    credential: async (request) => {
      if (canSpend(request, hasSessionCookie)) await credential.take(clientKey(request.ip), clientInfo(request), route(request));
    },
    refreshIp: async (request) => {
      if (canSpend(request, hasRefreshCookie)) await refreshIp.take(clientKey(request.ip), clientInfo(request), route(request));
    },
    confirmationMail: async (request) => {
      await confirmationMail.take(request.principal!.userId, clientInfo(request), route(request));
    },
    refreshFamily: async (request) => {
      const token = (request.body as { refresh_token?: string } | undefined)?.refresh_token ?? refreshCookie(request);
      if (!token || config.refreshRateLimit === 0) return;
      // Only a token we signed names the user whose budget it spends; a forged one spends none, and the
      // rotation refuses (and audits) it as before.
      // Keyed on the token's family (its login), so an old token of a family that is over — rotated away
      // or logged out — spends only that family's budget, never the user's other devices'.
      const family = await refreshClaimsOf(request, token, tessera.refreshTokens).then(
        (claims) => claims.fid ?? `user:${claims.sub}`,
        () => undefined,
      );
      if (family !== undefined) await refreshFamily.take(family, clientInfo(request), route(request));
    },
  };
}
