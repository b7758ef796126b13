import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetInstances, type FleetInstances } from '../support/fleet.js';
import { postgresAvailable, REDIS_URL, redisAvailable } from '../support/services.js';
import { createUser, loginTokens, type TestInstance } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const available = (await postgresAvailable()) && (await redisAvailable());

/** Polling so slow it never runs during a test: what arrives, arrives through the fleet's events. */
const NO_POLLING = { revocationPollMs: 3_600_000, keyReloadMs: 3_600_000, rolloutReloadMs: 3_600_000 };

const me = (t: TestInstance, accessToken: string) =>
  t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${accessToken}` } });

describe.skipIf(!available)('fleet events during a rolling deploy (PostgreSQL + Redis)', () => {
  let fleet: FleetInstances;
  let redis: Redis | undefined;

  afterEach(async () => {
    redis?.disconnect();
    redis = undefined;
    await fleet.close();
  });

  /** What a newer instance does: records a revocation in the database and announces it in a form this version cannot read. */
  async function revokeAsANewerInstance(t: TestInstance, accessToken: string, message: unknown): Promise<void> {
    const { jti, sub, exp } = decodeJwt(accessToken);
    await t.tessera.store.revocations.record([{ jti: jti!, userId: sub!, expiresAt: exp! * 1000 }], t.clock.now());
    redis ??= new Redis(REDIS_URL);
    await redis.publish(`${fleet.fleet.prefix}events`, JSON.stringify(message));
  }

  const messages = {
    'a newer message format': { v: 2, origin: 'newer', event: { type: 'revoked', tokens: ['…'] } },
    'an event type it does not know': { v: 1, origin: 'newer', event: { type: 'revoked-with-reason', entries: [] } },
    'a known event in a new shape': { v: 1, origin: 'newer', event: { type: 'revoked', entries: 'compressed' } },
  };

  it.each(Object.entries(messages))('an older instance meeting %s re-reads revocations from the database at once', async (_, message) => {
    fleet = fleetInstances(NO_POLLING);
    const [older, newer] = [await fleet.start(), await fleet.start()];
    await createUser(newer.tessera, 'alice');
    const { access_token } = await loginTokens(newer.app, 'alice');
    expect((await me(older, access_token)).statusCode).toBe(200);

    await revokeAsANewerInstance(newer, access_token, message);
    await until(async () => (await me(older, access_token)).statusCode === 401, PATIENCE_MS, 'the older instance refuses the token');
    expect(older.tessera.fleet!.bus.stats.notUnderstood).toBe(1);
  });
});
