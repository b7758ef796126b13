import { Option, type Command } from 'commander';
import { CLI_ACTOR } from '../../admin/actor.js';
import type { KeyDescription } from '../../admin/keys.js';
import type { KeyUse } from '../../tokens/signing-key.js';
import { withOperations } from '../context.js';
import type { CliIo } from '../io.js';
import { isoTime, printRecord, printRows } from '../output.js';

const keyRow = (key: KeyDescription) => ({
  kid: key.kid,
  use: key.use,
  alg: key.alg,
  state: key.state,
  created_at: isoTime(key.createdAt),
  retires_at: isoTime(key.expiresAt),
});

/** `tessera keys list|rotate|revoke`: the signing keys, rotating one without logging anyone out, revoking a leaked one. */
export function registerKeys(program: Command, io: CliIo): Command {
  const keys = program.command('keys').description('signing keys: list them, rotate one without logging anyone out, revoke a leaked one');

  keys
    .command('list')
    .description('list the signing keys: the active one of each use, and retiring ones until what they signed has expired')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const found = await withOperations(io, (t) => t.admin.keys.list());
      printRows(io, found.map(keyRow), ['kid', 'use', 'alg', 'state', 'created_at', 'retires_at'], Boolean(options.json));
    });

  keys
    .command('rotate')
    .description(
      'make a new key sign from now on; the old one still verifies (and stays in the JWKS) until its tokens expire. ' +
        'Running servers switch within 5 seconds',
    )
    .addOption(new Option('--use <use>', 'which key').choices(['access', 'refresh']).default('access'))
    .option('--json', 'print JSON')
    .action(async (options: { use: KeyUse; json?: boolean }) => {
      const { key, previous } = await withOperations(io, (t) => t.admin.keys.rotate(options.use, CLI_ACTOR));
      if (options.json) {
        printRecord(io, { ...keyRow(key), previous_kid: previous?.kid ?? null, previous_retires_at: isoTime(previous?.expiresAt ?? null) }, true);
        return;
      }
      io.stdout.write(`new ${key.use} key ${key.kid} signs from now on (running servers switch within 5 seconds)\n`);
      if (previous) io.stdout.write(`previous key ${previous.kid} verifies until ${isoTime(previous.expiresAt)}, then retires\n`);
    });

  keys
    .command('revoke')
    .description(
      'revoke a leaked key: it leaves the JWKS and every token it signed is refused at once on every running server ' +
        '(an active key is replaced by a new one first). Refresh keys: every user logs in again',
    )
    .argument('<kid>')
    .option('--json', 'print JSON')
    // A kid is base64url: one in 64 begins with "-", which must reach us as the kid, not as an unknown option.
    .allowUnknownOption()
    .action(async (kid: string, options: { json?: boolean }) => {
      const { revoked, replacement } = await withOperations(io, (t) => t.admin.keys.revoke(kid, CLI_ACTOR));
      if (options.json) {
        printRecord(io, { kid: revoked.kid, use: revoked.use, replacement_kid: replacement?.kid ?? null }, true);
        return;
      }
      io.stdout.write(`revoked ${revoked.use} key ${revoked.kid}: every token it signed is refused from now on\n`);
      if (replacement) io.stdout.write(`new ${replacement.use} key ${replacement.kid} signs from now on\n`);
    });

  return keys;
}
