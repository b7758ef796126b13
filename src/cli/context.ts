import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createTessera, type Tessera } from '../tessera.js';
import type { CliIo } from './io.js';

/**
 * Runs `work` with Tessera assembled against DATABASE_URL — the same database and keys the server
 * uses — then closes it (which writes any audit events). No server is started; running servers learn
 * of what the command changed by polling the database.
 */
export async function withTessera<T>(io: CliIo, work: (tessera: Tessera) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  // Diagnostics go to stderr at warn level so stdout stays clean for tables and JSON.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { write: (line: string) => io.stderr.write(line) });
  const tessera = await createTessera(config, { logger });
  try {
    return await work(tessera);
  } finally {
    await tessera.close();
  }
}
