import { SqlStore } from '../sql/sql-store.js';
import { PostgresDriver, type PostgresStoreOptions } from './postgres-driver.js';

export { SCHEMA_NAME, type PostgresStoreOptions } from './postgres-driver.js';

/** The store for fleets: one PostgreSQL database shared by every instance, through a connection pool. */
export class PostgresStore extends SqlStore {
  constructor(url: string, options: PostgresStoreOptions = {}) {
    super(new PostgresDriver(url, options));
  }
}
