import { migrations } from '../migrations.js';

/** The schema (`store/migrations.ts`) in SQLite's types. */
export const SQLITE_MIGRATIONS = migrations({
  integer: 'INTEGER',
  identity: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  json: 'TEXT',
  flag: (column) => `INTEGER NOT NULL CHECK (${column} IN (0, 1))`,
  byteOrder: '',
  countUserWrites: ['INSERT', 'UPDATE', 'DELETE']
    .map(
      (event) =>
        `CREATE TRIGGER users_version_on_${event.toLowerCase()} AFTER ${event} ON users ` +
        'BEGIN UPDATE users_version SET version = version + 1; END;',
    )
    .join('\n'),
});
