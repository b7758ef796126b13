import type { Store } from '../store.js';
import { SqlAudit } from './audit.js';
import { SqlFamilies } from './families.js';
import { SqlSigningKeys } from './keys.js';
import { SqlLegacyNotices } from './legacy-notices.js';
import { SqlEmailConfirmations } from './email-confirmations.js';
import { SqlLegacyUsage } from './legacy-usage.js';
import { SqlRequestCounts } from './request-counts.js';
import { SqlRevocations } from './revocations.js';
import { SqlRolloutOverrides } from './rollout-overrides.js';
import { SqlServiceClients } from './service-clients.js';
import { SqlSessions } from './sessions.js';
import { SqlSettings } from './settings.js';
import type { SqlDriver } from './sql-driver.js';
import { SqlUsers } from './users.js';
import { SqlValidAfter } from './valid-after.js';

/** The store both databases share: the repositories, over the driver of one database. */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly users: SqlUsers;
  readonly keys: SqlSigningKeys;
  readonly families: SqlFamilies;
  readonly revocations: SqlRevocations;
  readonly validAfter: SqlValidAfter;
  readonly sessions: SqlSessions;
  readonly audit: SqlAudit;
  readonly settings: SqlSettings;
  readonly rolloutOverrides: SqlRolloutOverrides;
  readonly legacyUsage: SqlLegacyUsage;
  readonly legacyNotices: SqlLegacyNotices;
  readonly emailConfirmations: SqlEmailConfirmations;
  readonly requestCounts: SqlRequestCounts;
  readonly serviceClients: SqlServiceClients;

  constructor(protected readonly driver: SqlDriver) {
    this.kind = driver.kind;
    this.users = new SqlUsers(driver);
    this.keys = new SqlSigningKeys(driver);
    this.families = new SqlFamilies(driver);
    this.revocations = new SqlRevocations(driver);
    this.validAfter = new SqlValidAfter(driver);
    this.sessions = new SqlSessions(driver);
    this.audit = new SqlAudit(driver);
    this.settings = new SqlSettings(driver);
    this.rolloutOverrides = new SqlRolloutOverrides(driver);
    this.legacyUsage = new SqlLegacyUsage(driver);
    this.legacyNotices = new SqlLegacyNotices(driver);
    this.emailConfirmations = new SqlEmailConfirmations(driver);
    this.requestCounts = new SqlRequestCounts(driver);
    this.serviceClients = new SqlServiceClients(driver);
  }

  migrate(): Promise<void> {
    return this.driver.migrate();
  }

  pendingMigrations(): Promise<number> {
    return this.driver.pendingMigrations();
  }

  async ping(): Promise<void> {
    await this.driver.get('SELECT 1 AS one');
  }

  async pruneExpired(now: number): Promise<void> {
    await this.driver.transaction(
      async (tx) => {
        await tx.run('DELETE FROM refresh_tokens WHERE expires_at <= ?', [now]);
        await tx.run(
          'DELETE FROM refresh_families WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = refresh_families.id)',
        );
        await tx.run('DELETE FROM access_tokens WHERE expires_at <= ?', [now]);
        await tx.run('DELETE FROM sessions WHERE expires_at <= ? OR ended_at IS NOT NULL', [now]);
        await tx.run('DELETE FROM revoked_access_tokens WHERE expires_at <= ?', [now]);
        await tx.run('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
        await tx.run('DELETE FROM email_confirmations WHERE expires_at <= ?', [now]);
      },
      { maintenance: true },
    );
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
