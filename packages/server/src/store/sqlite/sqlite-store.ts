import { SqlStore } from '../sql/sql-store.js';
import type { BackgroundCheckpointOptions } from './background-checkpoints.js';
import { SqliteDriver } from './sqlite-driver.js';

/** The embedded store: one SQLite file in WAL mode, shared safely by the server and the CLI. */
export class SqliteStore extends SqlStore {
  /** `backgroundCheckpoints`: a server's store, whose log is checkpointed by a thread of its own. */
  constructor(path: string, options: { backgroundCheckpoints?: BackgroundCheckpointOptions } = {}) {
    super(new SqliteDriver(path, options));
  }
}
