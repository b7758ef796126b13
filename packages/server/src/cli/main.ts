import { Command, CommanderError } from 'commander';
import { registerLegacyUsage } from './commands/legacy-usage.js';
import { registerAudit } from './commands/audit.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRollout } from './commands/rollout.js';
import { registerServe } from './commands/serve.js';
import { registerServices } from './commands/services.js';
import { registerTokens } from './commands/tokens.js';
import { registerUsers } from './commands/users.js';
import { cliMessage } from './error-message.js';
import { processIo, type CliIo } from './io.js';

/** The `tessera` command line. Every command reads the same environment (DATABASE_URL, JWT_SECRET, …) as the server. */
export function buildCli(io: CliIo): Command {
  const program = new Command('tessera')
    .description('Tessera: a stateless JWT authentication server')
    .exitOverride()
    // A command's options go before its subcommand: `legacy-usage notify --days 7` gives --days to notify.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  registerServe(program, io);
  registerMigrate(program, io);
  registerUsers(program, io);
  registerRollout(program, io);
  registerLegacyUsage(program, io);
  registerTokens(program, io);
  registerKeys(program, io);
  registerServices(program, io);
  registerAudit(program, io);
  // Subcommands inherit exit and output handling.
  for (const command of program.commands) inherit(program, command);
  return program;
}

function inherit(parent: Command, command: Command): void {
  command.exitOverride().configureOutput(parent.configureOutput()).showHelpAfterError('(run with --help for usage)');
  for (const sub of command.commands) inherit(command, sub);
}

/** Runs the command line; resolves to the exit code (a running `serve` keeps the process alive). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    await buildCli(io).parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(`tessera: ${cliMessage(error)}\n`);
    return 1;
  }
}
