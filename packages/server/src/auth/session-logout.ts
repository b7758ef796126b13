import type { AuditLog } from '../audit/audit-log.js';
import { sessionIdOf, type LegacySessions } from '../sessions/legacy-sessions.js';
import type { ClientInfo } from '../tokens/refresh-family.js';

/**
 * Legacy logout (`POST /api/logout`): ends the session the cookie names. Idempotent, like logging out
 * of any cookie session: an unknown, ended or missing cookie simply leaves nothing to end.
 */
export class SessionLogout {
  constructor(
    private readonly sessions: LegacySessions,
    private readonly audit: AuditLog,
  ) {}

  /** Returns whether an open session was ended. */
  async run(cookieValue: string | undefined, client: ClientInfo): Promise<boolean> {
    if (!cookieValue) return false;
    const ended = await this.sessions.end(sessionIdOf(cookieValue));
    if (!ended) return false;
    this.audit.record({ type: 'session.logout', userId: ended.userId, client, detail: { sessionId: ended.id } });
    return true;
  }
}
