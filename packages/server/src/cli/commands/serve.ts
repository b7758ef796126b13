import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { startServer, stopOnSignals } from '../../server.js';
import type { CliIo } from '../io.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('start the HTTP server (configured by PORT, HOST, DATABASE_URL, … in the environment)')
    .action(async () => {
      const server = await startServer(loadConfig(io.env));
      stopOnSignals(server);
    });
}
