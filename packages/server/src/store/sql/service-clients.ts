import type { ServiceClientRecord, ServiceClientRepository } from '../../oauth/service-client.js';
import { ServiceNameTakenError } from '../../errors.js';
import type { SqlSession } from './sql-driver.js';

const COLUMNS = `name, client_id AS "clientId", secret_hash AS "secretHash", audience, created_at AS "createdAt", revoked_at AS "revokedAt",
  token_exchange_at AS "tokenExchangeAt"`;

/** Service clients, written once for both databases. */
export class SqlServiceClients implements ServiceClientRepository {
  constructor(private readonly db: SqlSession) {}

  async insert(record: ServiceClientRecord): Promise<void> {
    try {
      await this.db.run(
        'INSERT INTO service_clients (client_id, name, secret_hash, audience, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)',
        [record.clientId, record.name, record.secretHash, record.audience, record.createdAt],
      );
    } catch (error) {
      // The partial unique index on active names: another add of the same name won.
      if (await this.activeByName(record.name)) throw new ServiceNameTakenError(record.name);
      throw error;
    }
  }

  findByClientId(clientId: string): Promise<ServiceClientRecord | null> {
    return this.db.get<ServiceClientRecord>(`SELECT ${COLUMNS} FROM service_clients WHERE client_id = ?`, [clientId]);
  }

  list(): Promise<ServiceClientRecord[]> {
    return this.db.all<ServiceClientRecord>(`SELECT ${COLUMNS} FROM service_clients ORDER BY created_at, name`);
  }

  async revoke(name: string, now: number): Promise<ServiceClientRecord | null> {
    const active = await this.activeByName(name);
    if (!active) return null;
    const changed = await this.db.run('UPDATE service_clients SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL', [now, active.clientId]);
    return changed === 0 ? null : { ...active, revokedAt: now };
  }

  async setTokenExchange(name: string, since: number | null): Promise<ServiceClientRecord | null> {
    const active = await this.activeByName(name);
    if (!active) return null;
    const changed = await this.db.run('UPDATE service_clients SET token_exchange_at = ? WHERE client_id = ? AND revoked_at IS NULL', [since, active.clientId]);
    return changed === 0 ? null : { ...active, tokenExchangeAt: since };
  }

  private activeByName(name: string): Promise<ServiceClientRecord | null> {
    return this.db.get<ServiceClientRecord>(`SELECT ${COLUMNS} FROM service_clients WHERE name = ? AND revoked_at IS NULL`, [name]);
  }
}

