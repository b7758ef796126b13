import type { Command } from 'commander';
import { CLI_ACTOR } from '../../admin/actor.js';
import type { RolloutState } from '../../rollout/rollout-policy.js';
import { BACKGROUND } from '../../background.js';
import { normalizeUsername } from '../../users/username.js';
import { withOperations } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { integerOption } from '../options.js';
import { isoTime, printRecord } from '../output.js';

const OVERRIDES = { on: true, off: false, clear: null } as const;
const APPLIES = `running servers apply it within ${BACKGROUND.rolloutReloadMs / 1000} seconds`;

const stateRecord = (state: RolloutState) => ({
  percent: state.percent,
  source: state.source === 'database' ? 'database (tessera rollout set)' : 'environment (JWT_ROLLOUT_PERCENT)',
  always_jwt: state.overrides.filter((o) => o.enabled).map((o) => o.username),
  never_jwt: state.overrides.filter((o) => !o.enabled).map((o) => o.username),
});

export function registerRollout(program: Command, io: CliIo): Command {
  const rollout = program
    .command('rollout')
    .description('the JWT rollout: which share of users may log in with JWTs (the rest keep using sessions)');

  rollout
    .command('show')
    .description('print the percentage, where it comes from, and the per-user overrides')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const state = await withOperations(io, (t) => t.admin.rollout.show());
      printRecord(io, options.json ? { ...state, overrides: state.overrides.map(overrideRow) } : stateRecord(state), Boolean(options.json));
    });

  rollout
    .command('set')
    .description(`store the percentage (0–100) for every instance; it wins over JWT_ROLLOUT_PERCENT; ${APPLIES}`)
    .argument('<percent>', 'whole number from 0 (rollback: no new JWT logins) to 100', integerOption('<percent>', 0, 100))
    .option('--revoke', 'also revoke the tokens already issued to every user now outside the rollout')
    .action(async (percent: number, options: { revoke?: boolean }) => {
      const { previous, revoked } = await withOperations(io, (t) => t.admin.rollout.setPercent(percent, Boolean(options.revoke), CLI_ACTOR));
      io.stdout.write(`JWT rollout: ${percent}% (was ${previous.percent}%, from the ${previous.source}); ${APPLIES}\n`);
      if (revoked) {
        io.stdout.write(`revoked the tokens of ${revoked.users} user(s) outside the rollout (${revoked.accessTokens} live access token(s))\n`);
      }
    });

  rollout
    .command('reset')
    .description(`forget the stored percentage: JWT_ROLLOUT_PERCENT applies again; ${APPLIES}`)
    .action(async () => {
      const now = await withOperations(io, (t) => t.admin.rollout.reset(CLI_ACTOR));
      io.stdout.write(`JWT rollout: ${now.percent}% (from JWT_ROLLOUT_PERCENT in this environment); ${APPLIES}\n`);
    });

  rollout
    .command('override')
    .description('per user: on = always JWT, off = never (keeps sessions), clear = as the percentage says')
    .argument('<username>')
    .argument('<setting>', 'on, off or clear')
    .action(async (username: string, setting: string) => {
      if (!(setting in OVERRIDES)) throw new CliError(`<setting> must be on, off or clear (got ${JSON.stringify(setting)})`);
      const enabled = OVERRIDES[setting as keyof typeof OVERRIDES];
      await withOperations(io, (t) => t.admin.rollout.setOverride(username, enabled, CLI_ACTOR));
      io.stdout.write(`${normalizeUsername(username)}: ${describeOverride(enabled)}; ${APPLIES}\n`);
    });

  return rollout;
}

const overrideRow = (o: RolloutState['overrides'][number]) => ({
  user_id: o.userId,
  username: o.username,
  enabled: o.enabled,
  updated_at: isoTime(o.updatedAt),
});

function describeOverride(enabled: boolean | null): string {
  if (enabled === null) return 'override cleared, the rollout percentage decides';
  return enabled ? 'always JWT, whatever the percentage' : 'never JWT (keeps using sessions), whatever the percentage';
}
