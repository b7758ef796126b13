import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { KeyRing } from '../../src/tokens/key-ring.js';
import { TestClock } from './clock.js';
import { testEnv } from './tessera.js';

/**
 * Key rings (RS256, sealed with `secret`) over fresh SQLite files, for tests of what they sign: call in a
 * `describe`, then each call of the function returned opens one; its store is closed and removed after
 * the test.
 */
export function testKeyRings(secret: string): () => Promise<{ keyRing: KeyRing; clock: TestClock }> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return async () => {
    const { env, dir } = testEnv();
    const store = new SqliteStore(env.DATABASE_URL!.slice('sqlite:'.length));
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    const clock = new TestClock();
    const keyRing = await KeyRing.open({
      store,
      clock,
      logger: createLogger('silent'),
      algorithm: 'RS256',
      secrets: { current: secret },
      lifetimes: { accessMs: 900_000, refreshMs: 604_800_000 },
      manage: true,
    });
    return { keyRing, clock };
  };
}
