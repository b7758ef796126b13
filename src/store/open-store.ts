import { ConfigError, type DatabaseLocation } from '../config.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the store named by DATABASE_URL. */
export function openStore(location: DatabaseLocation): Store {
  if (location.kind === 'sqlite') return new SqliteStore(location.path);
  throw new ConfigError('DATABASE_URL', 'PostgreSQL store pending (issue 4)');
}
