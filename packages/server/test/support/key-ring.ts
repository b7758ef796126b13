import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { KeyRing, type KeyRingOptions } from '../../src/tokens/key-ring.js';
import { TestClock } from './clock.js';
import { testEnv } from './tessera.js';

/** A fresh SQLite store and clock, and `open`, which opens a key ring (RS256, sealed with the secret) over them. */
export interface KeyRingFixture {
  store: SqliteStore;
  clock: TestClock;
  open(overrides?: Partial<KeyRingOptions>): Promise<KeyRing>;
}

/**
 * Key rings over fresh SQLite files, for tests of the ring and of what it signs: call in a `describe`;
 * each call of the function returned makes a fixture, whose store is closed and removed after the test.
 */
export function keyRingFixtures(secret: string): () => KeyRingFixture {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return () => {
    const { env, dir } = testEnv();
    const store = new SqliteStore(env.DATABASE_URL!.slice('sqlite:'.length));
    const clock = new TestClock();
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const open = async (overrides: Partial<KeyRingOptions> = {}) => {
      await store.migrate();
      return KeyRing.open({
        store,
        clock,
        logger: createLogger('silent'),
        algorithm: 'RS256',
        secrets: { current: secret },
        lifetimes: { accessMs: 900_000, refreshMs: 604_800_000 },
        manage: true,
        ...overrides,
      });
    };
    return { store, clock, open };
  };
}

/** A key ring over a fresh SQLite file, and its clock (see `keyRingFixtures`). */
export function testKeyRings(secret: string): () => Promise<{ keyRing: KeyRing; clock: TestClock }> {
  const fixture = keyRingFixtures(secret);
  return async () => {
    const { clock, open } = fixture();
    return { keyRing: await open(), clock };
  };
}
