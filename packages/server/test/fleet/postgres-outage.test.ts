import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../support/clock.js';
import { testFleet, type TestFleet } from '../support/fleet.js';
import { POSTGRES_URL, postgresAvailable, redisAvailable } from '../support/services.js';
import { TcpRelay } from '../support/tcp-relay.js';
import { createUser, loginTokens, refresh, startTestInstance, TEST_PASSWORD, type TestInstance } from '../support/tessera.js';

const available = (await postgresAvailable()) && (await redisAvailable());

const UNAVAILABLE = { error: 'service_unavailable', error_description: 'The database is unreachable; try again shortly' };

describe.skipIf(!available)('an instance whose PostgreSQL becomes unreachable (through a relay the test cuts)', () => {
  let fleet: TestFleet;
  let relay: TcpRelay;
  let t: TestInstance;

  /** An instance of a fresh fleet whose PostgreSQL connections all pass through `relay`. */
  async function startBehindRelay(): Promise<void> {
    const target = new URL(POSTGRES_URL);
    relay = await TcpRelay.start({ host: target.hostname, port: Number(target.port || 5432) });
    const viaRelay = new URL(POSTGRES_URL);
    viaRelay.port = String(relay.port);
    fleet = testFleet();
    t = await startTestInstance({ ...fleet.env({ databaseUrl: viaRelay.toString() }), AUTH_RATE_LIMIT: '0' }, { clock: new TestClock() });
  }

  afterEach(async () => {
    relay.restore();
    await t.close();
    await relay.close();
    await fleet.cleanup();
  });

  it('answers login and refresh with 503 and Retry-After, keeps accepting valid access tokens, and recovers', async () => {
    await startBehindRelay();
    await createUser(t.tessera, 'frank');
    const tokens = await loginTokens(t.app, 'frank');
    const bearer = { authorization: `Bearer ${tokens.access_token}` };

    relay.cut();
    const started = performance.now();
    const login = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'frank', password: TEST_PASSWORD } });
    const refreshed = await refresh(t.app, tokens.refresh_token);
    for (const response of [login, refreshed]) {
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual(UNAVAILABLE);
    }
    expect(performance.now() - started).toBeLessThan(5000);

    for (let i = 0; i < 20; i += 1) {
      const me = await t.app.inject({ url: '/api/me', headers: bearer });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ role: 'user', auth: 'jwt' });
    }
    expect((await t.app.inject({ url: '/api/users', headers: bearer })).statusCode).toBe(503); // it reads the database
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    relay.restore();
    // The refresh that failed rotated nothing: the same refresh token still works.
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'frank', password: TEST_PASSWORD } })).statusCode).toBe(200);
  });

  it('answers 503 within seconds when PostgreSQL stops answering altogether (a network partition)', async () => {
    await startBehindRelay();
    await createUser(t.tessera, 'grace');
    const tokens = await loginTokens(t.app, 'grace');

    relay.silence();
    const started = performance.now();
    const [login, refreshed, me] = await Promise.all([
      t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'grace', password: TEST_PASSWORD } }),
      refresh(t.app, tokens.refresh_token),
      t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${tokens.access_token}` } }),
    ]);
    const elapsed = performance.now() - started;
    expect([login.statusCode, refreshed.statusCode, me.statusCode]).toEqual([503, 503, 200]);
    expect(login.headers['retry-after']).toBe('5');
    expect(elapsed).toBeLessThan(15_000);

    relay.restore();
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(200);
  }, 40_000);
});
