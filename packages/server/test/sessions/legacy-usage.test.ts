import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { LegacyUsage } from '../../src/sessions/legacy-usage.js';
import type { Store } from '../../src/store/store.js';
import type { LegacyUsageCount } from '../../src/sessions/legacy-usage-count.js';
import { TestClock } from '../support/clock.js';
import { sessionCookieFor, withSession } from '../support/sessions.js';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('counting session-authenticated requests', () => {
  let t: TestInstance;
  let userId: string;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    userId = (await createUser(t.tessera, 'olga')).id;
  });
  afterAll(() => t.close());

  it('counts each session login and request per user and User-Agent, writing nothing until the next flush', async () => {
    const cookie = await sessionCookieFor(t.app, 'olga');
    const loggedInAt = t.clock.now();
    for (let i = 0; i < 3; i += 1) await withSession(t.app, '/api/users', cookie, { 'user-agent': 'python-requests/2.32.3' });
    t.clock.advanceSeconds(90);
    await withSession(t.app, '/api/me', cookie, { 'user-agent': 'python-requests/2.32.3' });
    await withSession(t.app, '/api/me', cookie); // light-my-request's own User-Agent
    // The JWT path is not counted, nor are refused cookies.
    const { access_token } = await loginTokens(t.app, 'olga');
    await t.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${access_token}`, 'user-agent': 'python-requests/2.32.3' } });
    await withSession(t.app, '/api/users', 'C'.repeat(43), { 'user-agent': 'python-requests/2.32.3' });

    expect(await t.tessera.store.legacyUsage.list(0)).toEqual([]);
    await t.tessera.legacyUsage.flush();
    expect(await t.tessera.store.legacyUsage.list(0)).toEqual([
      // The login (light-my-request's own User-Agent) counts: a client that only logs in is still on sessions.
      { userId, username: 'olga', userAgent: 'lightMyRequest', firstSeen: loggedInAt, lastSeen: loggedInAt + 90_000, requestCount: 2 },
      { userId, username: 'olga', userAgent: 'python-requests/2.32.3', firstSeen: loggedInAt, lastSeen: loggedInAt + 90_000, requestCount: 4 },
    ]);
  });

  it('adds to the stored counts on later flushes', async () => {
    const cookie = await sessionCookieFor(t.app, 'olga');
    await withSession(t.app, '/api/me', cookie, { 'user-agent': 'python-requests/2.32.3' });
    const rows = await t.tessera.legacyUsage.list(0);
    expect(rows.find((r) => r.userAgent === 'python-requests/2.32.3')).toMatchObject({ requestCount: 5 });
  });
});

describe('LegacyUsage', () => {
  /** A store whose writes fail while `failing` is set; it keeps what it was given otherwise. */
  function flakyStore() {
    const written: LegacyUsageCount[][] = [];
    const state = { failing: true };
    const store = {
      legacyUsage: {
        async add(counts: LegacyUsageCount[]) {
          if (state.failing) throw new Error('database down');
          written.push(counts.map((c) => ({ ...c })));
        },
      },
    } as unknown as Store;
    return { store, written, state };
  }

  it('keeps the counts of a failed write and merges them with later ones', async () => {
    const { store, written, state } = flakyStore();
    const clock = new TestClock();
    const logged: string[] = [];
    const usage = new LegacyUsage({ store, clock, logger: createLogger('warn', { write: (l: string) => logged.push(l) }), flushIntervalMs: 60_000 });
    const first = clock.now();
    usage.count('u1', 'app/1');
    await usage.flush();
    expect(logged.join('')).toMatch(/legacy usage counts not written yet/);
    clock.advanceSeconds(5);
    usage.count('u1', 'app/1');
    usage.count('u2', null);
    state.failing = false;
    await usage.stop();
    expect(written).toEqual([
      [
        { userId: 'u1', userAgent: 'app/1', firstSeen: first, lastSeen: first + 5000, requestCount: 2 },
        { userId: 'u2', userAgent: '', firstSeen: first + 5000, lastSeen: first + 5000, requestCount: 1 },
      ],
    ]);
  });

  it('merges counts made while a write was failing with the ones that write gives back', async () => {
    let failWrite!: (error: Error) => void;
    const written: LegacyUsageCount[][] = [];
    let calls = 0;
    const store = {
      legacyUsage: {
        add(counts: LegacyUsageCount[]) {
          calls += 1;
          if (calls === 1) return new Promise<void>((_resolve, reject) => (failWrite = reject));
          written.push(counts.map((c) => ({ ...c })));
          return Promise.resolve();
        },
      },
    } as unknown as Store;
    const clock = new TestClock();
    const usage = new LegacyUsage({ store, clock, logger: createLogger('silent'), flushIntervalMs: 60_000 });
    const first = clock.now();
    usage.count('u1', 'app/1');
    const flushing = usage.flush();
    clock.advanceSeconds(3);
    usage.count('u1', 'app/1');
    failWrite(new Error('database down'));
    await flushing;
    await usage.flush();
    expect(written).toEqual([[{ userId: 'u1', userAgent: 'app/1', firstSeen: first, lastSeen: first + 3000, requestCount: 2 }]]);
  });

  it('holds at most `capacity` distinct clients between writes and counts what it drops', async () => {
    const { store, written, state } = flakyStore();
    state.failing = false;
    const usage = new LegacyUsage({ store, clock: new TestClock(), logger: createLogger('silent'), flushIntervalMs: 60_000, capacity: 2 });
    for (const agent of ['a', 'b', 'c', 'd', 'a']) usage.count('u1', agent);
    expect(usage.dropped).toBe(2);
    await usage.flush();
    expect(written[0]!.map((c) => `${c.userAgent}:${c.requestCount}`)).toEqual(['a:2', 'b:1']);
  });

  it('writes on its own every flush interval', async () => {
    const { store, written, state } = flakyStore();
    state.failing = false;
    const usage = new LegacyUsage({ store, clock: new TestClock(), logger: createLogger('silent'), flushIntervalMs: 10 });
    usage.start();
    usage.count('u1', 'app');
    try {
      await expect.poll(() => written.length, { timeout: 2000, interval: 5 }).toBe(1);
    } finally {
      await usage.stop();
    }
  });
});
