import type { LegacyNoticeRecord } from '../../sessions/legacy-notice.js';
import type { LegacyNoticeRepository } from '../store.js';
import type { SqlDriver } from './sql-driver.js';

/** Who was told that sessions end, per user and sunset date. */
export class SqlLegacyNotices implements LegacyNoticeRepository {
  constructor(private readonly db: SqlDriver) {}

  async claim(notice: LegacyNoticeRecord): Promise<boolean> {
    const claimed = await this.db.all<{ userId: string }>(
      `INSERT INTO legacy_notices (user_id, sunset, email, sent_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, sunset) DO NOTHING RETURNING user_id AS "userId"`,
      [notice.userId, notice.sunset, notice.email, notice.sentAt],
    );
    return claimed.length === 1;
  }

  async release(userId: string, sunset: number): Promise<void> {
    await this.db.run('DELETE FROM legacy_notices WHERE user_id = ? AND sunset = ?', [userId, sunset]);
  }

  list(sunset: number): Promise<LegacyNoticeRecord[]> {
    return this.db.all<LegacyNoticeRecord>(
      `SELECT user_id AS "userId", sunset, email, sent_at AS "sentAt" FROM legacy_notices WHERE sunset = ? ORDER BY sent_at, user_id${this.db.byteOrder}`,
      [sunset],
    );
  }
}
