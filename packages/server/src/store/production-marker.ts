import type { Clock } from '../clock.js';
import { ProductionDatabaseError } from '../errors.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

/** The setting that says a production server (or `tessera migrate` in production) has used this database. */
export { ProductionDatabaseError };

export const PRODUCTION_MARKER = 'initialised_in';


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
