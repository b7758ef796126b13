import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTessera } from '../../src/tessera.js';
import { tessera } from '../support/cli.js';
import { testEnv } from '../support/tessera.js';

describe('tessera rollout', () => {
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    ({ env, dir } = testEnv({ JWT_ROLLOUT_PERCENT: '20' }));
    await tessera(['migrate'], env);
    await tessera(['users', 'add', 'pia', '--password', 'a long password'], env);
    await tessera(['users', 'add', 'quinn', '--password', 'a long password'], env);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows JWT_ROLLOUT_PERCENT while nothing is stored', async () => {
    const result = await tessera(['rollout', 'show'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'percent     20\nsource      environment (JWT_ROLLOUT_PERCENT)\nalways_jwt  []\nnever_jwt   []\n',
    );
  });

  it('stores a percentage that wins over JWT_ROLLOUT_PERCENT, and says what it replaced', async () => {
    const set = await tessera(['rollout', 'set', '50'], env);
    expect(set).toMatchObject({ code: 0, stdout: 'JWT rollout: 50% (was 20%, from the environment); running servers apply it within 2 seconds\n' });
    const again = await tessera(['rollout', 'set', '60'], { ...env, JWT_ROLLOUT_PERCENT: '90' });
    expect(again.stdout).toMatch(/^JWT rollout: 60% \(was 50%, from the database\)/);
    const shown = JSON.parse((await tessera(['rollout', 'show', '--json'], { ...env, JWT_ROLLOUT_PERCENT: '90' })).stdout);
    expect(shown).toEqual({ percent: 60, source: 'database', overrides: [] });
  });

  it('forgets the stored percentage on reset, so JWT_ROLLOUT_PERCENT applies again', async () => {
    await tessera(['rollout', 'set', '10'], env);
    const reset = await tessera(['rollout', 'reset'], { ...env, JWT_ROLLOUT_PERCENT: '35' });
    expect(reset).toMatchObject({ code: 0, stdout: 'JWT rollout: 35% (from JWT_ROLLOUT_PERCENT in this environment); running servers apply it within 2 seconds\n' });
    expect(JSON.parse((await tessera(['rollout', 'show', '--json'], env)).stdout)).toMatchObject({ percent: 20, source: 'environment' });
  });

  it('sets, lists and clears per-user overrides', async () => {
    expect((await tessera(['rollout', 'override', 'PIA', 'on'], env)).stdout).toBe(
      'pia: always JWT, whatever the percentage; running servers apply it within 2 seconds\n',
    );
    expect((await tessera(['rollout', 'override', 'quinn', 'off'], env)).stdout).toMatch(/^quinn: never JWT \(keeps using sessions\)/);
    const table = (await tessera(['rollout', 'show'], env)).stdout;
    expect(table).toMatch(/^always_jwt {2}\["pia"\]$/m);
    expect(table).toMatch(/^never_jwt {3}\["quinn"\]$/m);
    const json = JSON.parse((await tessera(['rollout', 'show', '--json'], env)).stdout);
    expect(json.overrides).toEqual([
      { user_id: expect.any(String), username: 'pia', enabled: true, updated_at: expect.any(String) },
      { user_id: expect.any(String), username: 'quinn', enabled: false, updated_at: expect.any(String) },
    ]);
    expect((await tessera(['rollout', 'override', 'pia', 'clear'], env)).stdout).toMatch(/^pia: override cleared/);
    expect((await tessera(['rollout', 'override', 'quinn', 'clear'], env)).code).toBe(0);
    expect(JSON.parse((await tessera(['rollout', 'show', '--json'], env)).stdout).overrides).toEqual([]);
  });

  it('records every change in the audit trail as done by the CLI', async () => {
    const t = await createTessera(loadConfig(env), { logger: createLogger('silent') });
    try {
      const events = await t.audit.query({ limit: 100 });
      const rollout = events.filter((e) => e.type.startsWith('admin.rollout.'));
      expect(rollout.every((e) => e.actor === 'cli')).toBe(true);
      expect(new Set(rollout.map((e) => e.type))).toEqual(new Set(['admin.rollout.set', 'admin.rollout.reset', 'admin.rollout.override']));
      expect(rollout.find((e) => e.type === 'admin.rollout.set')!.detail).toMatchObject({ percent: expect.any(Number), previous: expect.any(Number) });
    } finally {
      await t.close();
    }
  });

  it('is listed in tessera --help beside legacy-usage', async () => {
    const help = (await tessera(['--help'], env)).stdout;
    expect(help).toMatch(/^ {2}rollout\b/m);
    expect(help).toMatch(/^ {2}legacy-usage \[options\]/m);
  });

  it.each([
    [['rollout', 'set', '101'], /^tessera: <percent> must be a whole number from 0 to 100 \(got "101"\)/],
    [['rollout', 'set', 'half'], /^tessera: <percent> must be a whole number from 0 to 100/],
    [['rollout', 'override', 'pia', 'maybe'], /^tessera: <setting> must be on, off or clear \(got "maybe"\)/],
    [['rollout', 'override', 'nobody', 'on'], /^tessera: No user named "nobody"/],
  ])('refuses %j with one line and exit 1', async (args, message) => {
    const result = await tessera(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});
