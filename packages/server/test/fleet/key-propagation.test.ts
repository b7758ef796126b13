import { rmSync } from 'node:fs';
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTessera } from '../../src/tessera.js';
import { fleetInstances, type FleetInstances } from '../support/fleet.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { createUser, loginTokens, testEnv } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const available = (await postgresAvailable()) && (await redisAvailable());

/** Timers so slow they never run during a test: what an instance learns, it learns through Redis. */
const NO_POLLING = { revocationPollMs: 3_600_000, keyReloadMs: 3_600_000 };

describe.skipIf(!available)('signing keys across the instances of a fleet (PostgreSQL + Redis)', () => {
  let members: FleetInstances;
  const instance = () => members.start();

  afterEach(() => members.close());

  it('a key rotated on one instance signs on every other at once, with key reloads off', async () => {
    members = fleetInstances(NO_POLLING);
    const [a, b, c] = [await instance(), await instance(), await instance()];
    await createUser(a.tessera, 'erin');
    const oldKid = b.tessera.keyRing.signingKey('access').kid;

    const newKid = await a.tessera.keyRing.rotate();
    expect(newKid).not.toBe(oldKid);
    await until(
      () => [b, c].every((t) => t.tessera.keyRing.signingKey('access').kid === newKid),
      PATIENCE_MS, // key reloads are off: only the fleet's event can bring it
      'the other instances signing with the new key',
    );

    const issuedByB = await loginTokens(b.app, 'erin');
    expect(decodeProtectedHeader(issuedByB.access_token).kid).toBe(newKid);
    const onC = await c.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${issuedByB.access_token}` } });
    expect(onC.statusCode).toBe(200);
    const jwks = (await c.app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>();
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([newKid, oldKid].sort());
  });

  it('a rotation made by a command-line process (never started as a server) reaches the running instances', async () => {
    members = fleetInstances(NO_POLLING);
    const b = await instance();
    const { env, dir } = testEnv(members.fleet.env());
    const cli = await createTessera(loadConfig(env), { logger: createLogger('silent') });
    const newKid = await cli.keyRing.rotate();
    await cli.close();
    await until(() => b.tessera.keyRing.signingKey('access').kid === newKid, PATIENCE_MS, 'the running instance signing with the new key');
    rmSync(dir, { recursive: true, force: true });
  });
});
