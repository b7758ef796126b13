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
  // AFTER, as SQLite cannot change NEW; recursive triggers are off, so the inner update fires no trigger of its own.
  unverifyChangedEmail: `CREATE TRIGGER users_unverify_changed_email AFTER UPDATE OF email ON users
      WHEN NEW.email IS NOT OLD.email AND NEW.email_verified_at IS OLD.email_verified_at AND NEW.email_verified_at IS NOT NULL
      BEGIN UPDATE users SET email_verified_at = NULL WHERE id = NEW.id; END;`,
});
