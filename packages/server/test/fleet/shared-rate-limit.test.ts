import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { REDIS_TIMEOUTS } from '../../src/fleet/redis-connection.js';
import { TestClock } from '../support/clock.js';
import { testFleet, type TestFleet } from '../support/fleet.js';
import { capturingLogger } from '../support/log-lines.js';
import { DedicatedRedis } from '../support/redis-server.js';
import { postgresAvailable, redisAvailable, redisServerInstalled } from '../support/services.js';
import { startTestInstance, type TestInstance } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const available = (await postgresAvailable()) && (await redisAvailable()) && redisServerInstalled();

const attempt = (t: TestInstance, remoteAddress: string, url = '/auth/login') =>
  t.app.inject({ method: 'POST', url, remoteAddress, payload: { username: 'nobody', password: 'wrong' } });

const RATE_LIMITED = { error: 'rate_limited', error_description: expect.stringMatching(/^Too many requests; retry in \d+ seconds?$/) };

describe.skipIf(!available)('rate limits shared by a fleet (AUTH_RATE_LIMIT=5, Redis)', () => {
  let fleet: TestFleet;
  const instances: TestInstance[] = [];
  const servers: DedicatedRedis[] = [];

  async function instance(env: Record<string, string>) {
    const log = capturingLogger('info');
    const t = await startTestInstance({ ...env, AUTH_RATE_LIMIT: '5' }, { clock: new TestClock(), logger: log.logger });
    instances.push(t);
    return { t, messages: log.messages, lines: log.lines };
  }

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((t) => t.close()));
    await Promise.all(servers.splice(0).map((s) => s.kill()));
    await fleet.cleanup();
  });

  it('counts a client across every instance: the sixth request is refused wherever it lands', async () => {
    fleet = testFleet();
    const [{ t: a }, { t: b }, { t: c }] = [await instance(fleet.env()), await instance(fleet.env()), await instance(fleet.env())];
    const statuses = [];
    for (const t of [a, b, c, a, b]) statuses.push((await attempt(t, '10.9.0.1')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    for (const t of [c, a, b]) {
      const refused = await attempt(t, '10.9.0.1');
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toEqual(RATE_LIMITED);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect((await attempt(c, '10.9.0.2')).statusCode).toBe(401); // another client
    expect((await attempt(a, '10.9.0.1', '/auth/refresh')).statusCode).toBe(400); // another endpoint, its own count
  });

  it('falls back to counting per instance while Redis is down — never open, never an error — and shares again once it is back', async () => {
    const redis = await DedicatedRedis.start();
    servers.push(redis);
    fleet = testFleet();
    const env = fleet.env({ redisUrl: redis.url });
    const [a, b] = [await instance(env), await instance(env)];

    await redis.kill();
    for (const { t } of [a, b]) {
      const statuses = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await attempt(t, '10.9.1.1')).statusCode);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]); // five per instance, not five across
      expect((await attempt(t, '10.9.1.1')).json()).toEqual(RATE_LIMITED);
    }
    for (const { t, messages } of [a, b]) {
      expect(messages().filter((m) => m.startsWith('rate limits counted per instance'))).toHaveLength(1);
      expect(t.tessera.fleet!.rateLimit.fallbackRequests).toBe(7);
      expect(t.tessera.fleet!.rateLimit.fallbacks).toBe(1);
    }

    await redis.restart();
    await until(() => [a, b].every(({ t }) => t.tessera.fleet!.connected), PATIENCE_MS, 'both instances reconnected');
    const statuses = [];
    for (const { t } of [a, a, a, b, b, a]) statuses.push((await attempt(t, '10.9.1.2')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]); // shared again: A's own count is only 4
    for (const { messages } of [a, b]) expect(messages()).toContain('rate limits shared across the fleet again');
  });

  it('falls back when Redis hangs, once its command times out, and then leaves Redis alone for a while', async () => {
    const redis = await DedicatedRedis.start();
    servers.push(redis);
    fleet = testFleet();
    const { t: a, lines } = await instance(fleet.env({ redisUrl: redis.url }));
    // The pause after a failure (1 s) made long, so that however busy the machine, the second request comes within it.
    const pause = REDIS_TIMEOUTS.pauseAfterFailureMs;
    REDIS_TIMEOUTS.pauseAfterFailureMs = PATIENCE_MS;
    redis.pause();
    try {
      expect((await attempt(a, '10.9.2.1')).statusCode).toBe(401);
      // Redis is frozen, so only the command timeout could end the wait.
      const fallback = lines().find((line) => String(line.msg).startsWith('rate limits counted per instance'));
      expect(fallback?.err).toMatchObject({ message: 'Command timed out' });
      expect((await attempt(a, '10.9.2.1')).statusCode).toBe(401);
      expect(a.tessera.fleet!.rateLimit.fallbackRequests).toBe(2);
    } finally {
      redis.resume();
      REDIS_TIMEOUTS.pauseAfterFailureMs = pause;
    }
    // Running again, Redis reads what was sent to it meanwhile: the first request's hit, nothing of the second.
    const reader = new Redis(redis.url);
    try {
      const counts = async () => Promise.all((await reader.keys(`${fleet.prefix}*`)).map((key) => reader.get(key)));
      await until(async () => (await counts()).length > 0, PATIENCE_MS, 'the first hit counted');
      expect(await counts()).toEqual(['1']);
    } finally {
      reader.disconnect();
    }
  });
});
