import type { NewSession, SessionLookup, SessionRecord } from '../../sessions/session.js';
import type { PublicUser } from '../../users/user.js';
import type { SessionRepository } from '../store.js';
import { columns, PUBLIC_USER, SESSION, unprefixer } from './columns.js';
import type { SqlDriver } from './sql-driver.js';
import { refuseIfOutdated } from './valid-after.js';

const SESSION_COLUMNS = columns(SESSION);
/** The session and its user in one statement: both are read on every session-authenticated request. */
const SESSION_WITH_USER = `SELECT ${columns(SESSION, 's', 's.')}, ${columns(PUBLIC_USER, 'u', 'u.')}
  FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`;
const sessionOf = unprefixer<SessionRecord>(SESSION, 's.', 'id');
const userOf = unprefixer<PublicUser>(PUBLIC_USER, 'u.', 'id');

/** Legacy cookie sessions. */
export class SqlSessions implements SessionRepository {
  constructor(private readonly db: SqlDriver) {}

  create(session: NewSession): Promise<SessionRecord> {
    return this.db.transaction(async (tx) => {
      await refuseIfOutdated(tx, session.userId, session.authenticatedAt);
      return (await tx.get<SessionRecord>(
        `INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${SESSION_COLUMNS}`,
        [session.id, session.userId, session.createdAt, session.createdAt, session.expiresAt, session.ip, session.userAgent],
      ))!;
    });
  }

  async find(id: string): Promise<SessionLookup | null> {
    const row = await this.db.get<Record<string, unknown>>(SESSION_WITH_USER, [id]);
    if (!row) return null;
    return { session: sessionOf(row)!, user: userOf(row)! };
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.run('UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL AND last_seen_at < ?', [now, id, now]);
  }

  end(id: string, now: number): Promise<SessionRecord | null> {
    return this.db.get<SessionRecord>(`UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL RETURNING ${SESSION_COLUMNS}`, [
      now,
      id,
    ]);
  }
}
