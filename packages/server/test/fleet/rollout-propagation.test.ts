import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTessera } from '../../src/tessera.js';
import { fleetInstances, type FleetInstances } from '../support/fleet.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { createUser, TEST_PASSWORD, testEnv, type TestInstance } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const available = (await postgresAvailable()) && (await redisAvailable());

/** Rollout reloads so slow they never run during a test: what an instance learns, it learns through Redis. */
const NO_POLLING = { rolloutReloadMs: 3_600_000 };

describe.skipIf(!available)('the JWT rollout across the instances of a fleet (PostgreSQL + Redis)', () => {
  let members: FleetInstances;
  const instance = () => members.start();

  async function loginStatus(t: TestInstance, username: string): Promise<number> {
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: TEST_PASSWORD } });
    return res.statusCode;
  }

  afterEach(() => members.close());

  it('a rollback to 0% on one instance stops JWT logins on every other at once, and 100% brings them back', async () => {
    members = fleetInstances(NO_POLLING);
    const [a, b, c] = [await instance(), await instance(), await instance()];
    await createUser(a.tessera, 'frank');
    expect(await loginStatus(b, 'frank')).toBe(200);

    await a.tessera.rollout.setPercent(0);
    await until(() => [b, c].every((t) => t.tessera.rollout.current().percent === 0), PATIENCE_MS, 'the others at 0%');
    expect(await loginStatus(b, 'frank')).toBe(403);
    expect(await loginStatus(c, 'frank')).toBe(403);

    await a.tessera.rollout.setPercent(100);
    await until(() => [b, c].every((t) => t.tessera.rollout.current().percent === 100), PATIENCE_MS, 'the others at 100%');
    expect(await loginStatus(c, 'frank')).toBe(200);
  });

  it('a per-user override and a reset made by a command-line process reach the running instances', async () => {
    members = fleetInstances(NO_POLLING);
    const b = await instance();
    const user = await createUser(b.tessera, 'grace');
    const { env, dir } = testEnv(members.fleet.env());
    const cli = await createTessera(loadConfig(env), { logger: createLogger('silent') });
    try {
      await cli.rollout.setOverride(user.id, false);
      await until(() => b.tessera.rollout.current().overrides.some((o) => o.userId === user.id), PATIENCE_MS, 'the override on the server');
      expect(await loginStatus(b, 'grace')).toBe(403);

      await cli.rollout.setOverride(user.id, null);
      await until(() => b.tessera.rollout.current().overrides.length === 0, PATIENCE_MS, 'the override gone from the server');
      expect(await loginStatus(b, 'grace')).toBe(200);
    } finally {
      await cli.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
