import { SqlStore } from '../sql/sql-store.js';
import type { CheckpointThreadOptions } from './checkpoint-thread.js';
import { SqliteDriver } from './sqlite-driver.js';

/** The embedded store: one SQLite file in WAL mode, shared safely by the server and the CLI. */
export class SqliteStore extends SqlStore {
  /** `checkpointThread`: a server's store, whose log is copied into the file off the event loop. */
  constructor(path: string, options: { checkpointThread?: CheckpointThreadOptions } = {}) {
    super(new SqliteDriver(path, options));
  }
}
