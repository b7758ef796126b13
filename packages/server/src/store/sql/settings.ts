import type { SettingRepository } from '../store.js';
import type { SqlDriver } from './sql-driver.js';

/** Settings changed at run time, one row a key. */
export class SqlSettings implements SettingRepository {
  constructor(private readonly db: SqlDriver) {}

  async read(key: string): Promise<string | null> {
    return (await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))?.value ?? null;
  }

  async write(key: string, value: string, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, now],
    );
  }

  async delete(key: string): Promise<void> {
    await this.db.run('DELETE FROM settings WHERE key = ?', [key]);
  }
}
