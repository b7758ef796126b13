import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { RevocationFeed } from '../../src/tokens/revocation-feed.js';
import { RevocationList } from '../../src/tokens/revocation-list.js';
import { TestClock } from '../support/clock.js';
import { testEnv } from '../support/tessera.js';

describe('the revocation list', () => {
  it('refuses a revoked jti until the token would have expired anyway, then forgets it', () => {
    const clock = new TestClock();
    const list = new RevocationList(clock);
    list.add([{ jti: 'a', userId: 'u', expiresAt: clock.now() + 1000 }]);
    expect(list.has('a')).toBe(true);
    clock.advance(1001);
    list.sweep();
    expect(list.has('a')).toBe(false);
    expect(list.size).toBe(0);
  });

  it('ignores entries that have already expired', () => {
    const clock = new TestClock();
    const list = new RevocationList(clock);
    list.add([{ jti: 'old', userId: 'u', expiresAt: clock.now() - 1 }]);
    expect(list.has('old')).toBe(false);
  });

  it('stays within its capacity by dropping expired entries, never a live revocation', () => {
    const clock = new TestClock();
    const list = new RevocationList(clock, 3);
    list.add([
      { jti: 'soon', userId: 'u', expiresAt: clock.now() + 10 },
      { jti: 'b', userId: 'u', expiresAt: clock.now() + 1000 },
      { jti: 'c', userId: 'u', expiresAt: clock.now() + 1000 },
    ]);
    clock.advance(20);
    list.add([{ jti: 'd', userId: 'u', expiresAt: clock.now() + 1000 }]);
    expect([list.has('soon'), list.has('b'), list.has('c'), list.has('d')]).toEqual([false, true, true, true]);
    expect(list.evicted).toBe(0);
    list.add([{ jti: 'e', userId: 'u', expiresAt: clock.now() + 1000 }]);
    expect([list.status('b'), list.status('e')]).toEqual(['revoked', 'unknown']);
    expect(list.size).toBe(3);
    expect(list.evicted).toBe(1);
  });

  it('past its capacity answers "unknown" for jtis it does not hold until the last one not kept has expired', () => {
    const clock = new TestClock();
    const list = new RevocationList(clock, 1);
    list.add([{ jti: 'kept', userId: 'u', expiresAt: clock.now() + 5000 }]);
    list.add([{ jti: 'not-kept', userId: 'u', expiresAt: clock.now() + 1000 }]);
    expect([list.status('kept'), list.status('not-kept'), list.status('never-revoked')]).toEqual(['revoked', 'unknown', 'unknown']);
    clock.advance(1000);
    expect([list.status('kept'), list.status('not-kept')]).toEqual(['revoked', 'not_revoked']);
  });
});

describe('the revocation feed', () => {
  it('picks up revocations another process recorded in the same database', async () => {
    const { env, dir } = testEnv();
    const path = env.DATABASE_URL!.slice('sqlite:'.length);
    const server = new SqliteStore(path);
    const cli = new SqliteStore(path);
    await server.migrate();
    const clock = new TestClock();
    const list = new RevocationList(clock);
    const feed = new RevocationFeed({ store: server, list, clock, logger: createLogger('silent'), pollIntervalMs: 60_000 });
    await feed.start();
    await cli.revocations.record([{ jti: 'from-cli', userId: 'u', expiresAt: clock.now() + 60_000 }], clock.now());
    expect(list.has('from-cli')).toBe(false);
    await feed.poll();
    expect(list.has('from-cli')).toBe(true);
    feed.stop();
    await Promise.all([server.close(), cli.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every unexpired revocation before the instance serves', async () => {
    const { env, dir } = testEnv();
    const store = new SqliteStore(env.DATABASE_URL!.slice('sqlite:'.length));
    await store.migrate();
    const clock = new TestClock();
    await store.revocations.record(
      [
        { jti: 'live', userId: 'u', expiresAt: clock.now() + 60_000 },
        { jti: 'dead', userId: 'u', expiresAt: clock.now() - 1 },
      ],
      clock.now(),
    );
    const list = new RevocationList(clock);
    const feed = new RevocationFeed({ store, list, clock, logger: createLogger('silent'), pollIntervalMs: 60_000 });
    await feed.start();
    expect([list.has('live'), list.has('dead')]).toEqual([true, false]);
    feed.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a poll asked for while one is under way reads the store again afterwards', async () => {
    const { env, dir } = testEnv();
    const store = new SqliteStore(env.DATABASE_URL!.slice('sqlite:'.length));
    await store.migrate();
    const clock = new TestClock();
    const list = new RevocationList(clock);
    const feed = new RevocationFeed({ store, list, clock, logger: createLogger('silent'), pollIntervalMs: 60_000 });
    const read = store.revocations.since.bind(store.revocations);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    store.revocations.since = async (cursor, now) => {
      reads += 1;
      const batch = await read(cursor, now);
      if (reads === 1) await gate; // this read happened before the revocation below
      return batch;
    };
    const first = feed.poll();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await store.revocations.record([{ jti: 'late', userId: 'u', expiresAt: clock.now() + 60_000 }], clock.now());
    const second = feed.poll();
    const third = feed.poll();
    release();
    await Promise.all([first, second, third]);
    expect(reads).toBe(2);
    expect(list.has('late')).toBe(true);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
