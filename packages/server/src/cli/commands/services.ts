import type { Command } from 'commander';
import { CLI_ACTOR } from '../../admin/actor.js';
import type { ServiceClientRecord } from '../../oauth/service-client.js';
import { withOperations } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { isoTime, printRecord, printRows } from '../output.js';

const serviceRow = (service: ServiceClientRecord) => ({
  name: service.name,
  client_id: service.clientId,
  audience: service.audience,
  token_exchange: service.tokenExchangeAt === null ? 'off' : 'on',
  state: service.revokedAt === null ? 'active' : 'revoked',
  created_at: isoTime(service.createdAt),
  revoked_at: isoTime(service.revokedAt),
});

/** `tessera services add|list|revoke`: credentials of the services that call other services or introspect tokens. */
export function registerServices(program: Command, io: CliIo): Command {
  const services = program
    .command('services')
    .description('service credentials: client_id and client_secret for /oauth/token, /oauth/introspect and /oauth/revoke');

  services
    .command('add')
    .description('create credentials for a service; the client_secret is printed once and never stored in the clear')
    .argument('<name>')
    .option('--audience <aud>', 'the API its tokens are for when a token request names no resource')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { audience?: string; json?: boolean }) => {
      const { service, clientSecret } = await withOperations(io, (t) => t.admin.services.add(name, options.audience ?? null, CLI_ACTOR));
      if (options.json) {
        printRecord(io, { ...serviceRow(service), client_secret: clientSecret }, true);
        return;
      }
      io.stdout.write(`service ${service.name}\nclient_id     ${service.clientId}\nclient_secret ${clientSecret}\n`);
      io.stdout.write('Keep the secret now: it is shown only this once.\n');
    });

  services
    .command('list')
    .description('list services, active and revoked')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const found = await withOperations(io, (t) => t.admin.services.list());
      printRows(io, found.map(serviceRow), ['name', 'client_id', 'audience', 'token_exchange', 'state', 'created_at', 'revoked_at'], Boolean(options.json));
    });

  services
    .command('token-exchange')
    .description("allow (on) or forbid (off) a service to trade its signed-in users for token pairs (RFC 8693 token exchange)")
    .argument('<name>')
    .argument('<on|off>')
    .option('--json', 'print JSON')
    .action(async (name: string, state: string, options: { json?: boolean }) => {
      if (state !== 'on' && state !== 'off') throw new CliError(`<on|off> must be on or off (got ${JSON.stringify(state)})`);
      const service = await withOperations(io, (t) => t.admin.services.setTokenExchange(name, state === 'on', CLI_ACTOR));
      if (options.json) {
        printRecord(io, { ...serviceRow(service), ...(state === 'off' ? { revoked_families: service.revokedFamilies } : {}) }, true);
        return;
      }
      io.stdout.write(
        state === 'on'
          ? `service ${service.name} may now exchange its signed-in users for token pairs (admin and service users excepted)\n`
          : `service ${service.name} may no longer exchange users for token pairs; ${signedOut(service.revokedFamilies)}\n`,
      );
    });

  services
    .command('revoke')
    .description('revoke a service: its credentials and every token issued to it are refused from now on, on every running server, and the users it signed in by token exchange are signed out')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const revoked = await withOperations(io, (t) => t.admin.services.revoke(name, CLI_ACTOR));
      if (options.json) {
        printRecord(io, { ...serviceRow(revoked), revoked_families: revoked.revokedFamilies }, true);
        return;
      }
      const logins = revoked.revokedFamilies === 0 ? '' : `; ${signedOut(revoked.revokedFamilies)}`;
      io.stdout.write(`revoked service ${revoked.name} (${revoked.clientId}): its credentials and tokens are refused from now on${logins}\n`);
    });

  return services;
}

/** How many logins a service's token exchange had started that a change signed out, said for an operator. */
function signedOut(families: number): string {
  return `${families} login${families === 1 ? '' : 's'} it started by token exchange ${families === 1 ? 'is' : 'are'} signed out`;
}
