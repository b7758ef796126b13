import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { createOperations, type Operations } from '../operations.js';
import { CliError, type CliIo } from './io.js';

/**
 * Runs `work` with the operations (`createOperations`) built against DATABASE_URL — the same database
 * and keys the server uses — then closes them (which writes any audit events). No server is started;
 * running servers learn of what the command changed through Redis, or by polling the database. Nothing
 * is migrated, seeded, created or re-sealed on the way: a command writes only what it was asked to.
 */
export async function withOperations<T>(io: CliIo, work: (operations: Operations) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  // Diagnostics go to stderr at warn level so stdout stays clean for tables and JSON.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { write: (line: string) => io.stderr.write(line) });
  const store = openStore(config.database, config.databasePool);
  await assertMigrated(store);
  const operations = await createOperations(config, { logger, store });
  try {
    return await work(operations);
  } finally {
    await operations.close();
  }
}

/** Commands never migrate (only `serve` and `migrate` do): an unmigrated database is a mistake to report. */
async function assertMigrated(store: Store): Promise<void> {
  try {
    const pending = await store.pendingMigrations();
    if (pending === 0) return;
    throw new CliError(
      `the database at DATABASE_URL lacks ${pending} migration(s): run \`tessera migrate\` (or start \`tessera serve\`) first; other commands never change the schema`,
    );
  } catch (error) {
    await store.close();
    throw error;
  }
}
