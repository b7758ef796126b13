import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../support/clock.js';
import { testFleet, type TestFleet } from '../support/fleet.js';
import { PATIENCE_MS, until } from '../support/wait.js';
import { DedicatedRedis } from '../support/redis-server.js';
import { postgresAvailable, redisAvailable, redisServerInstalled } from '../support/services.js';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

const available = (await postgresAvailable()) && (await redisAvailable()) && redisServerInstalled();

/** Polling so slow it never runs during a test: what arrives, arrives through Redis. */
const NO_POLLING = { revocationPollMs: 3_600_000, keyReloadMs: 3_600_000 };

const me = (t: TestInstance, accessToken: string) =>
  t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${accessToken}` } });

const logout = (t: TestInstance, accessToken: string) =>
  t.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${accessToken}` }, payload: {} });


describe.skipIf(!available)('revocations across the instances of a fleet (PostgreSQL + Redis)', () => {
  let fleet: TestFleet;
  const instances: TestInstance[] = [];
  const redisServers: DedicatedRedis[] = [];

  async function instance(env: Record<string, string>, intervals = NO_POLLING): Promise<TestInstance> {
    const t = await startTestInstance({ ...env, AUTH_RATE_LIMIT: '0' }, { clock: new TestClock(), intervals });
    instances.push(t);
    return t;
  }

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((t) => t.close()));
    await Promise.all(redisServers.splice(0).map((r) => r.kill()));
    await fleet.cleanup();
  });

  it('a logout on one instance is refused by the others at once, with database polling off', async () => {
    fleet = testFleet();
    const [a, b, c] = [await instance(fleet.env()), await instance(fleet.env()), await instance(fleet.env())];
    await createUser(a.tessera, 'alice');
    const { access_token } = await loginTokens(a.app, 'alice');
    expect((await me(b, access_token)).statusCode).toBe(200);
    expect((await me(c, access_token)).statusCode).toBe(200);

    expect((await logout(a, access_token)).statusCode).toBe(200);
    for (const other of [b, c]) {
      await until(async () => (await me(other, access_token)).statusCode === 401);
      expect((await me(other, access_token)).json()).toMatchObject({ error: 'invalid_token', error_description: 'The access token has been revoked' });
    }
  });

  it('an instance started later refuses what was revoked before it started', async () => {
    fleet = testFleet();
    const a = await instance(fleet.env());
    await createUser(a.tessera, 'bob');
    const { access_token } = await loginTokens(a.app, 'bob');
    await logout(a, access_token);
    const late = await instance(fleet.env());
    expect((await me(late, access_token)).statusCode).toBe(401);
  });

  it('keeps answering protected routes while Redis is down, and revocations made meanwhile reach every instance once it is back', async () => {
    const redis = await DedicatedRedis.start();
    redisServers.push(redis);
    fleet = testFleet();
    const env = fleet.env({ redisUrl: redis.url });
    const [a, b] = [await instance(env), await instance(env)];
    await createUser(a.tessera, 'carol');
    const kept = await loginTokens(a.app, 'carol');
    const revoked = await loginTokens(a.app, 'carol');

    await redis.kill();
    expect((await me(b, kept.access_token)).statusCode).toBe(200);
    expect((await me(a, kept.access_token)).statusCode).toBe(200);
    expect((await logout(a, revoked.access_token)).statusCode).toBe(200);
    expect((await me(a, revoked.access_token)).statusCode).toBe(401);
    // Redis is down and database polling is off: instance B cannot know yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await me(b, revoked.access_token)).statusCode).toBe(200);

    const resyncs = b.tessera.fleet!.bus.stats.resyncs;
    await redis.restart();
    // Redis is back: B resubscribes and re-reads the revocations from the database at once.
    await until(async () => (await me(b, revoked.access_token)).statusCode === 401);
    expect(b.tessera.fleet!.bus.stats.resyncs).toBe(resyncs + 1);
    expect((await me(b, kept.access_token)).statusCode).toBe(200);
  });

  it('while Redis stays down, revocations still reach every instance: polling the database brings them', async () => {
    const redis = await DedicatedRedis.start();
    redisServers.push(redis);
    fleet = testFleet();
    const env = fleet.env({ redisUrl: redis.url });
    const polling = { revocationPollMs: 500, keyReloadMs: 3_600_000 };
    const [a, b] = [await instance(env, polling), await instance(env, polling)];
    await createUser(a.tessera, 'dave');
    const { access_token } = await loginTokens(a.app, 'dave');
    await redis.kill();

    await logout(a, access_token);
    // Redis is down: only B's poll of the database (every 500 ms here) can tell it.
    await until(async () => (await me(b, access_token)).statusCode === 401, PATIENCE_MS, 'instance b to refuse the token');
  });
});
