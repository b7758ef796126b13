import { SqlStore } from '../sql/sql-store.js';
import { SqliteDriver } from './sqlite-driver.js';

/** The embedded store: one SQLite file in WAL mode, shared safely by the server and the CLI. */
export class SqliteStore extends SqlStore {
  constructor(path: string) {
    super(new SqliteDriver(path));
  }
}
