import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

/** The setting that says a production server (or `tessera migrate` in production) has used this database. */
export const PRODUCTION_MARKER = 'initialised_in';

/** A non-production server refused on a production database: one line for the operator, exit 1. */
export class ProductionDatabaseError extends Error {
  constructor(env: string) {
    super(
      `this database was initialised in production; NODE_ENV=${env} refuses to start on it (a development server ` +
        'would sign tokens for, and seed demo accounts into, real data). Set NODE_ENV=production, or ' +
        'PRODUCTION_DATABASE_OVERRIDE=on to start anyway (demo accounts are never seeded into it)',
    );
    this.name = 'ProductionDatabaseError';
  }
}

/**
 * Marks the database in production, and refuses any other mode on a marked database unless the
 * operator overrides it. Resolves to whether the database is a production one.
 */
export async function guardProductionDatabase(store: Store, config: Config, clock: Clock, logger: Logger): Promise<boolean> {
  if (config.env === 'production') {
    await markProductionDatabase(store, clock);
    return true;
  }
  if ((await store.settings.read(PRODUCTION_MARKER)) !== 'production') return false;
  if (!config.productionDatabaseOverride) throw new ProductionDatabaseError(config.env);
  logger.warn(
    { env: config.env },
    `PRODUCTION_DATABASE_OVERRIDE=on: NODE_ENV=${config.env} on a database initialised in production; demo accounts are not seeded`,
  );
  return true;
}

/** Records that production has used this database (once; later calls change nothing). */
export async function markProductionDatabase(store: Store, clock: Clock): Promise<void> {
  if ((await store.settings.read(PRODUCTION_MARKER)) === 'production') return;
  await store.settings.write(PRODUCTION_MARKER, 'production', clock.now());
}
