import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { systemClock } from '../../clock.js';
import { openStore } from '../../store/open-store.js';
import { markProductionDatabase } from '../../store/production-marker.js';
import type { CliIo } from '../io.js';

export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('apply pending database migrations (servers also apply them at start; safe to run concurrently)')
    .action(async () => {
      const config = loadConfig(io.env);
      const store = openStore(config.database, config.databasePool);
      try {
        await store.migrate();
        if (config.env === 'production') await markProductionDatabase(store, systemClock);
        io.stdout.write(`migrations applied (${store.kind})\n`);
      } finally {
        await store.close();
      }
    });
}
