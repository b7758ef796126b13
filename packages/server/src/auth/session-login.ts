import type { AuditLog } from '../audit/audit-log.js';
import type { LegacySessions } from '../sessions/legacy-sessions.js';
import type { LegacyUsage } from '../sessions/legacy-usage.js';
import type { SessionRecord } from '../sessions/session.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { UserRecord } from '../users/user.js';
import type { CredentialCheck } from './credential-check.js';

/** Legacy password login (`POST /api/login`): the same credential check as `/auth/login`, then a session. */
export class SessionLogin {
  constructor(
    private readonly credentials: CredentialCheck,
    private readonly sessions: LegacySessions,
    private readonly audit: AuditLog,
    private readonly usage: LegacyUsage,
  ) {}

  async run(
    username: string,
    password: string,
    client: ClientInfo,
  ): Promise<{ cookieValue: string; session: SessionRecord; user: UserRecord }> {
    const user = await this.credentials.verify(username, password, client, { via: 'session' });
    const { cookieValue, session } = await this.sessions.open(user, client, user.authenticatedAt);
    this.audit.record({ type: 'session.login', userId: user.id, client, detail: { sessionId: session.id } });
    // The login is itself a use of sessions: a client that logs in and stops there is still on them.
    this.usage.count(user.id, client.userAgent);
    return { cookieValue, session, user };
  }
}
