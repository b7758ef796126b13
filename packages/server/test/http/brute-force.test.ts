import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { adminClient } from '../support/admin.js';
import { tessera as cli } from '../support/cli.js';
import { testFleet } from '../support/fleet.js';
import { HASHES } from '../passwords/imported-hash-fixtures.js';
import { redisAvailable } from '../support/services.js';
import { PATIENCE_MS, until } from '../support/wait.js';
import { TEST_PASSWORD, TEST_SECRET, createUser, startTestInstance, type TestInstance } from '../support/tessera.js';

const redisUp = await redisAvailable();

/** The waits a slowed login was held for, recorded instead of waited (tests never time things). */
function delays() {
  const held: number[] = [];
  return { held, loginDelay: async (ms: number) => void held.push(ms) };
}

const from = (t: TestInstance, ip: string, username: string, password: string, url = '/auth/login') =>
  t.app.inject({ method: 'POST', url, headers: { 'x-forwarded-for': ip }, payload: { username, password } });

describe('LOGIN_FAILURE_MIN_MS: every failed password check takes at least that long, whatever made it fail', () => {
  it('holds a wrong password, an unknown name and an imported user alike until the floor, and a correct login not at all', async () => {
    const { held, loginDelay } = delays();
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '0', LOGIN_FAILURE_MIN_MS: '5000', LOGIN_SLOWDOWN_AFTER: '0' }, { loginDelay });
    try {
      await createUser(t.tessera, 'vera');
      const admin = await adminClient(t);
      // A user brought over with a bcrypt hash: checking it takes bcrypt's time, not argon2id's.
      await admin.call({ method: 'POST', url: '/admin/users/import', payload: { users: [{ username: 'bcrypt-user', password_hash: HASHES.bcrypt2b }] } });
      held.length = 0;
      for (const [username, password] of [['vera', 'not it'], ['nobody-here', 'not it'], ['bcrypt-user', 'not it']]) {
        const before = held.length;
        const response = await from(t, '203.0.113.9', username!, password!);
        expect(response.statusCode).toBe(401);
        // Held once, for what was left of the 5 s after its check (some of it went on the check itself).
        expect(held.length - before).toBe(1);
        expect(held.at(-1)).toBeGreaterThan(0);
        expect(held.at(-1)).toBeLessThanOrEqual(5000);
      }
      const before = held.length;
      expect((await from(t, '203.0.113.9', 'vera', TEST_PASSWORD)).statusCode).toBe(200);
      expect(held.length).toBe(before);
    } finally {
      await t.close();
    }
  });
});

/** Finding 3 of issue 11: brute force against one account is stopped per account, never by locking its owner out. */
describe('brute-force protection per account', () => {
  const instances: TestInstance[] = [];
  const start = async (overrides: Record<string, string>, loginDelay?: (ms: number) => Promise<void>) => {
    // The failure floor's own wait (LOGIN_FAILURE_MIN_MS) is tested on its own: here only the throttle's waits are recorded.
    const t = await startTestInstance({ TRUST_PROXY: 'true', LOGIN_FAILURE_MIN_MS: '0', ...overrides }, loginDelay ? { loginDelay } : {});
    instances.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of instances.splice(0)) await t.close();
  });

  it('wrong passwords from 16 addresses slow the account progressively, and its owner still logs in', async () => {
    const { held, loginDelay } = delays();
    const t = await start({ AUTH_RATE_LIMIT: '0' }, loginDelay);
    await createUser(t.tessera, 'victim');

    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await from(t, `198.51.100.${i % 16}`, 'victim', `guess-${i}`)).statusCode);
    expect(statuses).toEqual(Array(10).fill(401));
    // Five failures are free; each check after that is held 1 s, 2 s, 4 s, 8 s, then 10 s at most.
    expect(held).toEqual([1000, 2000, 4000, 8000, 10_000]);

    const owner = await from(t, '203.0.113.50', 'victim', TEST_PASSWORD);
    expect(owner.statusCode).toBe(200);
    expect(held.at(-1)).toBe(10_000);

    const [event] = await t.tessera.audit.query({ type: 'login.throttled', limit: 5 });
    expect(event).toMatchObject({ detail: { username: 'victim', failures: 5 } });
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/^tessera_login_throttle_total\{action="slowed"\} 1$/m);
  });

  it("checks a slowed account one guess at a time from addresses that failed on it: guesses sent together wait their turn or get 429, and its owner on a new address or signed in is never queued", async () => {
    // The throttle's waits, once `gated`, held until the test lets each one go.
    const waits: Array<{ ms: number; go: () => void }> = [];
    let gated = false;
    const loginDelay = (ms: number) => (gated ? new Promise<void>((go) => void waits.push({ ms, go })) : Promise.resolve());
    const t = await start({ AUTH_RATE_LIMIT: '0' }, loginDelay);
    await createUser(t.tessera, 'victim');
    const held = async (count: number) => void (await until(() => waits.length === count));
    /** Two more guesses sent together while one is held: one waits its turn, the other is refused. */
    const twoMore = async (username: string, ips: [string, string]) => {
      const sent = ips.map((ip, i) => from(t, ip, username, `guess-${ip}`).then((response) => ({ i, response })));
      const { i, response } = await Promise.race(sent);
      return { refused: response, refusedIp: ips[i], waiting: sent[1 - i]!.then(({ response: answer }) => answer) };
    };
    // The owner logged in from home before the guessing began.
    const home = await from(t, '203.0.113.50', 'victim', TEST_PASSWORD);
    expect(home.statusCode).toBe(200);
    for (let i = 1; i <= 5; i += 1) expect((await from(t, `198.51.100.${i}`, 'victim', `guess-${i}`)).statusCode).toBe(401);
    gated = true;

    // Three addresses that have failed on the account guess again at once: one is held, one waits its turn, one is refused.
    const first = from(t, '198.51.100.1', 'victim', 'guess-a');
    await held(1);
    const victim = await twoMore('victim', ['198.51.100.2', '198.51.100.3']);
    expect(victim.refused.statusCode).toBe(429);
    expect(victim.refused.json()).toEqual({ error: 'rate_limited', error_description: 'Too many requests; retry in 1 second' });
    expect(victim.refused.headers['retry-after']).toBe('1');

    // A name nobody has is queued exactly alike: what a guesser sees says nothing about who exists.
    gated = false;
    for (let i = 1; i <= 5; i += 1) expect((await from(t, `198.51.100.${30 + i}`, 'ghost', `guess-${i}`)).statusCode).toBe(401);
    gated = true;
    const ghostFirst = from(t, '198.51.100.31', 'ghost', 'guess-a');
    await held(2);
    const ghost = await twoMore('ghost', ['198.51.100.32', '198.51.100.33']);
    expect(ghost.refused.statusCode).toBe(429);

    // While the queue is full, the owner is held for the delay but never queued: from an address that has
    // not failed on the account (a new phone), and re-entering their password while signed in.
    const newPhone = from(t, '192.0.2.77', 'victim', TEST_PASSWORD);
    await held(3);
    waits[2]!.go();
    expect((await newPhone).statusCode).toBe(200);
    const reauth = t.app.inject({
      method: 'POST',
      url: '/api/me/reauth',
      headers: { 'x-forwarded-for': '198.51.100.4', authorization: `Bearer ${home.json().access_token}` },
      payload: { password: TEST_PASSWORD },
    });
    await held(4);
    waits[3]!.go();
    expect((await reauth).statusCode).toBe(200);
    // A new address gets one guess outside the queue, not two sent together.
    const burst = await twoMore('victim', ['198.51.100.60', '198.51.100.60']);
    expect(burst.refused.statusCode).toBe(429);
    await held(5);
    waits[4]!.go();
    expect((await burst.waiting).statusCode).toBe(401);

    // The guess waiting its turn is held only once the one before it has been checked.
    waits[0]!.go();
    expect((await first).statusCode).toBe(401);
    await held(6);
    waits[5]!.go();
    expect((await victim.waiting).statusCode).toBe(401);
    waits[1]!.go();
    expect((await ghostFirst).statusCode).toBe(401);
    await held(7);
    waits[6]!.go();
    expect((await ghost.waiting).statusCode).toBe(401);

    const refusals = await t.tessera.audit.query({ type: 'login.queue_full', limit: 5 });
    expect(refusals.map((event) => [event.ip, event.detail])).toEqual([
      ['198.51.100.60', { username: 'victim', delay_ms: 1000 }],
      [ghost.refusedIp, { username: 'ghost', delay_ms: 1000 }],
      [victim.refusedIp, { username: 'victim', delay_ms: 1000 }],
    ]);
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/^tessera_login_throttle_total\{action="queue_full"\} 3$/m);
  });

  it('refuses one address with 429 and Retry-After after 10 failures on one account, and only that address, until the window ends', async () => {
    const t = await start({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'victim');
    await createUser(t.tessera, 'other');

    for (let i = 0; i < 10; i += 1) expect((await from(t, '198.51.100.1', 'victim', `guess-${i}`)).statusCode).toBe(401);
    const refused = await from(t, '198.51.100.1', 'victim', TEST_PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ error: 'rate_limited', error_description: expect.stringMatching(/^Too many requests; retry in \d+ seconds$/) });
    expect(Number(refused.headers['retry-after'])).toBe(900);

    expect((await from(t, '203.0.113.50', 'victim', TEST_PASSWORD)).statusCode).toBe(200);
    expect((await from(t, '198.51.100.1', 'other', TEST_PASSWORD)).statusCode).toBe(200);
    const [locked] = await t.tessera.audit.query({ type: 'login.locked', limit: 1 });
    expect(locked).toMatchObject({ ip: '198.51.100.1', detail: { username: 'victim', ip: '198.51.100.1', failures: 10 } });
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/^tessera_login_throttle_total\{action="locked"\} 1$/m);

    t.clock.advanceSeconds(900);
    expect((await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses a whole IPv6 /64 after 10 failures on one account from its addresses, and names the full address in the audit', async () => {
    const t = await start({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'victim');

    for (let i = 1; i <= 10; i += 1) expect((await from(t, `2001:db8:7:7::${i}`, 'victim', `guess-${i}`)).statusCode).toBe(401);
    expect((await from(t, '2001:db8:7:7:ffff::1', 'victim', TEST_PASSWORD)).statusCode).toBe(429);
    expect((await from(t, '2001:db8:7:8::1', 'victim', TEST_PASSWORD)).statusCode).toBe(200);
    const [locked] = await t.tessera.audit.query({ type: 'login.locked', limit: 1 });
    expect(locked).toMatchObject({ ip: '2001:db8:7:7::10', detail: { username: 'victim', ip: '2001:db8:7:7::10', failures: 10 } });
  });

  it('throttles a username that does not exist exactly like a real one', async () => {
    const { held, loginDelay } = delays();
    const t = await start({ AUTH_RATE_LIMIT: '0' }, loginDelay);
    await createUser(t.tessera, 'victim');

    const observe = async (username: string) => {
      held.length = 0;
      const answers: Array<[number, string | undefined, string]> = [];
      for (let i = 0; i < 12; i += 1) {
        const response = await from(t, '198.51.100.7', username, `guess-${i}`);
        answers.push([response.statusCode, response.headers['retry-after'] as string | undefined, response.body]);
      }
      return { answers, held: [...held] };
    };
    expect(await observe('ghost-who-never-was')).toEqual(await observe('victim'));
  });

  it('one budget per address for /auth/login, /api/login and /auth/session/exchange', async () => {
    const t = await start({ AUTH_RATE_LIMIT: '10' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await from(t, '198.51.100.9', `user${i}`, 'wrong', i % 2 ? '/api/login' : '/auth/login')).statusCode);
    expect(statuses).toEqual(Array(10).fill(401));
    expect((await from(t, '198.51.100.9', 'user10', 'wrong', '/api/login')).statusCode).toBe(429);
    expect((await from(t, '198.51.100.9', 'user11', 'wrong', '/auth/login')).statusCode).toBe(429);
    const exchange = await t.app.inject({ method: 'POST', url: '/auth/session/exchange', headers: { 'x-forwarded-for': '198.51.100.9' }, cookies: { session_id: 'x' } });
    expect(exchange.statusCode).toBe(429);
  });

  it('devices behind one address refresh far past the login limit', async () => {
    const t = await start({ AUTH_RATE_LIMIT: '2' });
    const nat = '100.64.0.1';
    const phones: Array<{ refresh_token: string }> = [];
    for (const [i, name] of ['ana', 'ben', 'cai'].entries()) {
      await createUser(t.tessera, name);
      phones.push((await from(t, `203.0.113.${i}`, name, TEST_PASSWORD)).json<{ refresh_token: string }>());
    }
    for (let round = 0; round < 10; round += 1) {
      for (const phone of phones) {
        const response = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { 'x-forwarded-for': nat }, payload: { refresh_token: phone.refresh_token } });
        expect(response.statusCode).toBe(200);
        phone.refresh_token = response.json<{ refresh_token: string }>().refresh_token;
      }
    }
    expect((await from(t, nat, 'ana', 'wrong')).statusCode).toBe(401);
    expect((await from(t, nat, 'ana', 'wrong')).statusCode).toBe(401);
    expect((await from(t, nat, 'ana', TEST_PASSWORD)).statusCode).toBe(429);
  });

  it("one device's refresh tokens cannot be hammered (REFRESH_RATE_LIMIT a minute), and one address has a ceiling (REFRESH_IP_RATE_LIMIT)", async () => {
    const t = await start({ REFRESH_RATE_LIMIT: '3', REFRESH_IP_RATE_LIMIT: '20' });
    await createUser(t.tessera, 'ana');
    let token = (await from(t, '203.0.113.1', 'ana', TEST_PASSWORD)).json<{ refresh_token: string }>().refresh_token;
    const refresh = (ip: string, refreshToken: string) =>
      t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { 'x-forwarded-for': ip }, payload: { refresh_token: refreshToken } });
    for (let i = 0; i < 3; i += 1) {
      const response = await refresh(`198.51.100.${i}`, token);
      expect(response.statusCode).toBe(200);
      token = response.json<{ refresh_token: string }>().refresh_token;
    }
    const hammered = await refresh('198.51.100.99', token);
    expect(hammered.statusCode).toBe(429);
    expect(hammered.json()).toMatchObject({ error: 'rate_limited' });
    t.clock.advanceSeconds(60);
    expect((await refresh('198.51.100.99', token)).statusCode).toBe(200); // the 429 spent nothing of the token

    const garbage: number[] = [];
    for (let i = 0; i < 21; i += 1) garbage.push((await refresh('192.0.2.1', `not.a.token${i}`)).statusCode);
    expect(garbage.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(garbage[20]).toBe(429);
  });

  it("with the per-device budget on, a refresh checks its token's signature once, and a forged token is still refused and audited", async () => {
    const t = await start({ REFRESH_RATE_LIMIT: '3', REFRESH_IP_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'cyd');
    const token = (await from(t, '203.0.113.1', 'cyd', TEST_PASSWORD)).json<{ refresh_token: string }>().refresh_token;
    const checks = vi.spyOn(t.tessera.refreshTokens, 'verify');
    const refresh = (refreshToken: string) => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } });
    expect((await refresh(token)).statusCode).toBe(200);
    expect(checks).toHaveBeenCalledTimes(1);
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    const refused = await refresh(forged);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'invalid_grant' });
    expect(checks).toHaveBeenCalledTimes(2);
    const [event] = await t.tessera.audit.query({ type: 'token.refresh_failed', limit: 1 });
    expect(event).toMatchObject({ detail: { reason: 'malformed' } });
  });

  it("an old refresh token of a device that logged out spends only that device's budget, never the user's other devices'", async () => {
    const t = await start({ REFRESH_RATE_LIMIT: '3', REFRESH_IP_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'bea');
    const laptop = (await from(t, '203.0.113.1', 'bea', TEST_PASSWORD)).json<{ refresh_token: string }>().refresh_token;
    const phone = (await from(t, '203.0.113.2', 'bea', TEST_PASSWORD)).json<{ refresh_token: string }>().refresh_token;
    const refresh = (refreshToken: string) => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } });
    expect((await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: laptop } })).statusCode).toBe(200);
    const replays: number[] = [];
    for (let i = 0; i < 5; i += 1) replays.push((await refresh(laptop)).statusCode);
    expect(replays).toEqual([401, 401, 401, 429, 429]);
    expect((await refresh(phone)).statusCode).toBe(200);
  });

  it('an operator sees and clears a lock through the admin API', async () => {
    const t = await start({ AUTH_RATE_LIMIT: '0' });
    const victim = await createUser(t.tessera, 'victim');
    const admin = await adminClient(t);
    for (let i = 0; i < 10; i += 1) await from(t, '198.51.100.1', 'victim', `guess-${i}`);
    expect((await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(429);

    const seen = await admin.call({ url: `/admin/users/${victim.id}/login-throttle` });
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toEqual({ username: 'victim', failures: 10, delay_ms: 10_000, resets_at: new Date(t.clock.now() + 900_000).toISOString() });

    const cleared = await admin.call({ method: 'DELETE', url: `/admin/users/${victim.id}/login-throttle` });
    expect(cleared.json()).toMatchObject({ username: 'victim', failures: 10 });
    expect((await admin.call({ url: `/admin/users/${victim.id}/login-throttle` })).json()).toMatchObject({ failures: 0, delay_ms: 0, resets_at: null });
    expect((await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(200);
    const [event] = await t.tessera.audit.query({ type: 'admin.user.unlock', limit: 1 });
    expect(event).toMatchObject({ actor: admin.admin.id, detail: { username: 'victim', failures: 10 } });
    expect((await admin.call({ url: '/admin/users/nobody/login-throttle' })).json()).toMatchObject({ error: 'not_found' });
  });

  it("an unlock made through the admin API is not applied again by the server's own poll: failures after it still count", async () => {
    const t = await start({ AUTH_RATE_LIMIT: '0' });
    const victim = await createUser(t.tessera, 'victim');
    const admin = await adminClient(t);
    expect((await admin.call({ method: 'DELETE', url: `/admin/users/${victim.id}/login-throttle` })).statusCode).toBe(200);
    for (let i = 0; i < 10; i += 1) await from(t, '198.51.100.1', 'victim', `guess-${i}`);
    expect((await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(429);

    await t.tessera.admin.loginThrottle.follow(); // what the unlock poll does (without Redis, every LOGIN_UNLOCK_POLL_MS)
    expect((await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(429);
    expect((await admin.call({ url: `/admin/users/${victim.id}/login-throttle` })).json()).toMatchObject({ failures: 10 });
  });
});

describe.skipIf(!redisUp)('brute-force protection across the fleet (Redis)', () => {
  const fleet = testFleet();
  const instances: TestInstance[] = [];
  afterAll(async () => {
    for (const t of instances) await t.close();
    await fleet.cleanup();
  });

  it('failures on one instance lock the address on another, and `tessera users unlock` clears it for all', async () => {
    // Each instance has its own SQLite database; the counters they share are in Redis.
    const env = { TRUST_PROXY: 'true', AUTH_RATE_LIMIT: '0', REDIS_URL: fleet.env().REDIS_URL!, REDIS_PREFIX: fleet.prefix };
    const a = await startTestInstance(env);
    const b = await startTestInstance(env);
    instances.push(a, b);
    await createUser(a.tessera, 'victim');
    await createUser(b.tessera, 'victim');

    for (let i = 0; i < 10; i += 1) expect((await from(a, '198.51.100.1', 'victim', `guess-${i}`)).statusCode).toBe(401);
    expect((await from(b, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(429);

    const unlocked = await cli(['users', 'unlock', 'Victim'], {
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${(b.config.database as { path: string }).path}`,
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      REDIS_URL: env.REDIS_URL,
      REDIS_PREFIX: env.REDIS_PREFIX,
    });
    expect(unlocked).toMatchObject({ code: 0, stdout: 'unlocked victim: 10 failed login(s) forgotten, no delay, no IP refused\n' });
    expect((await from(a, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(200);
    expect((await from(b, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(200);
  });

  it('without Redis, `tessera users unlock` reaches the running server through its database', async () => {
    const t = await startTestInstance({ TRUST_PROXY: 'true', AUTH_RATE_LIMIT: '0' }, { intervals: { loginUnlockPollMs: 50 } });
    instances.push(t);
    await createUser(t.tessera, 'victim');
    for (let i = 0; i < 10; i += 1) expect((await from(t, '198.51.100.1', 'victim', `guess-${i}`)).statusCode).toBe(401);
    expect((await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode).toBe(429);

    const result = await cli(['users', 'unlock', 'victim'], { NODE_ENV: 'test', DATABASE_URL: `sqlite:${(t.config.database as { path: string }).path}`, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' });
    expect(result).toMatchObject({ code: 0, stdout: 'unlocked victim: every server forgets its failed logins within 2 seconds\n' });
    await until(async () => (await from(t, '198.51.100.1', 'victim', TEST_PASSWORD)).statusCode === 200, PATIENCE_MS, 'the unlock applied');
    const [event] = await t.tessera.audit.query({ type: 'admin.user.unlock', limit: 1 });
    expect(event).toMatchObject({ actor: 'cli', detail: { username: 'victim' } });
  });
});
