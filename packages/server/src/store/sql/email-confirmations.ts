import type { EmailConfirmationRecord } from '../../account/email-confirmation.js';
import type { EmailConfirmationRepository } from '../store.js';
import type { SqlDriver } from './sql-driver.js';

const COLUMNS = 'user_id AS "userId", email, token_hash AS "tokenHash", created_at AS "createdAt", expires_at AS "expiresAt"';

/** Pending confirmations of users' email addresses, one per user. */
export class SqlEmailConfirmations implements EmailConfirmationRepository {
  constructor(private readonly db: SqlDriver) {}

  async put(confirmation: EmailConfirmationRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO email_confirmations (user_id, email, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, token_hash = excluded.token_hash,
         created_at = excluded.created_at, expires_at = excluded.expires_at`,
      [confirmation.userId, confirmation.email, confirmation.tokenHash, confirmation.createdAt, confirmation.expiresAt],
    );
  }

  async take(tokenHash: string, userId: string): Promise<EmailConfirmationRecord | null> {
    const taken = await this.db.all<EmailConfirmationRecord>(`DELETE FROM email_confirmations WHERE token_hash = ? AND user_id = ? RETURNING ${COLUMNS}`, [
      tokenHash,
      userId,
    ]);
    return taken[0] ?? null;
  }

  find(userId: string): Promise<EmailConfirmationRecord | null> {
    return this.db.get<EmailConfirmationRecord>(`SELECT ${COLUMNS} FROM email_confirmations WHERE user_id = ?`, [userId]);
  }

  async remove(userId: string): Promise<void> {
    await this.db.run('DELETE FROM email_confirmations WHERE user_id = ?', [userId]);
  }
}
