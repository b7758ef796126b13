import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { startServer, stopOnSignals } from '../server.js';

/** The `tessera` command line. Every subcommand reads the same environment as the server. */
export function buildCli(): Command {
  const program = new Command('tessera')
    .description('Tessera: a stateless JWT authentication server')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('serve')
    .description('start the HTTP server (PORT, HOST, DATABASE_URL, … from the environment)')
    .action(async () => {
      const server = await startServer(loadConfig());
      stopOnSignals(server);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tessera: configuration error: ${error.message}\n`);
    } else {
      process.stderr.write(`tessera: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 1;
  }
}
