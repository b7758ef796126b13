import type { RolloutOverride } from '../../rollout/rollout-override.js';
import type { RolloutOverrideRepository } from '../store.js';
import type { SqlDriver } from './sql-driver.js';

/** Per-user exceptions to the JWT rollout. `enabled` is BOOLEAN on PostgreSQL, 0/1 on SQLite. */
export class SqlRolloutOverrides implements RolloutOverrideRepository {
  constructor(private readonly db: SqlDriver) {}

  async list(): Promise<RolloutOverride[]> {
    const rows = await this.db.all<Omit<RolloutOverride, 'enabled'> & { enabled: boolean | number }>(
      `SELECT o.user_id AS "userId", u.username, o.enabled, o.updated_at AS "updatedAt"
       FROM rollout_overrides o JOIN users u ON u.id = o.user_id ORDER BY u.username${this.db.byteOrder}`,
    );
    return rows.map((row) => ({ ...row, enabled: row.enabled === true || row.enabled === 1 }));
  }

  async set(userId: string, enabled: boolean | null, now: number): Promise<void> {
    if (enabled === null) {
      await this.db.run('DELETE FROM rollout_overrides WHERE user_id = ?', [userId]);
      return;
    }
    await this.db.run(
      `INSERT INTO rollout_overrides (user_id, enabled, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
      [userId, enabled ? 1 : 0, now],
    );
  }
}
