import type { AuditLog } from '../audit/audit-log.js';
import { InvalidSessionError } from '../errors.js';
import type { RolloutPolicy } from '../rollout/rollout-policy.js';
import type { LegacySessions } from '../sessions/legacy-sessions.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import { requireJwtEnabled } from './jwt-rollout-gate.js';
import type { TokenPair, TokenPairIssuer } from './token-pair.js';

export interface SessionExchangeOptions {
  sessions: LegacySessions;
  tokenPairs: TokenPairIssuer;
  rollout: RolloutPolicy;
  audit: AuditLog;
}

/**
 * `POST /auth/session/exchange`: a logged-in session user moves to JWTs without typing the password
 * again. The session is traded for a token pair — a new refresh-token family, as a login starts — and
 * ends. A user outside the rollout is refused and keeps the session.
 */
export class SessionExchange {
  constructor(private readonly options: SessionExchangeOptions) {}

  async run(cookieValue: string, client: ClientInfo): Promise<TokenPair & { userId: string }> {
    const { sessions, tokenPairs, rollout, audit } = this.options;
    const { session, user } = await sessions.resolve(cookieValue);
    requireJwtEnabled(rollout, audit, user, client, 'exchange');
    // Ending first, atomically, makes a session good for one exchange even when two race.
    if (!(await sessions.end(session.id))) throw new InvalidSessionError('ended');
    // The session's start stands for the password check: a reset since then refuses the exchange, and
    // the tokens' `auth_time` is the session's login, not the exchange (no password was typed for it).
    const pair = await tokenPairs.startFamily(user, client, { authenticatedAt: session.createdAt, authTime: session.createdAt });
    audit.record({ type: 'session.exchange', userId: user.id, client, detail: { sessionId: session.id, familyId: pair.family.id } });
    return { ...pair, userId: user.id };
  }
}
