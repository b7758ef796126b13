import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../../support/admin.js';
import { TEST_PASSWORD, createUser, loginTokens, startTestInstance, type TestInstance } from '../../support/tessera.js';

const HOUR = 3_600_000;

describe('authenticated requests per hour (GET /admin/stats/authenticated-requests, /metrics)', () => {
  let t: TestInstance;
  let root: AdminClient;
  let jwt: string;
  let session: string;

  const callApi = (headers: Record<string, string>, cookies: Record<string, string> = {}) => t.app.inject({ url: '/api/users', headers, cookies });
  const stats = async (days?: number) => {
    const response = await root.call({ url: `/admin/stats/authenticated-requests${days ? `?days=${days}` : ''}` });
    expect(response.statusCode).toBe(200);
    return response.json<Array<{ hour: string; jwt: number; session: number }>>();
  };

  beforeEach(async () => {
    // The interval is long: the figures below come from the flush that answering the stats does.
    t = await startTestInstance({ REQUEST_COUNTS_FLUSH_INTERVAL_MS: '3600000', TOKEN_EXPIRY: '86400' });
    root = await adminClient(t);
    await createUser(t.tessera, 'uma');
    jwt = (await loginTokens(t.app, 'uma')).access_token;
    const login = await t.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'uma', password: TEST_PASSWORD } });
    session = login.cookies.find((c) => c.name === 'session_id')!.value;
  });
  afterEach(() => t.close());

  it('counts JWT and session requests apart, per hour, and answers with every hour of the last 7 days', async () => {
    for (let i = 0; i < 3; i += 1) await callApi({ authorization: `Bearer ${jwt}` });
    await callApi({}, { session_id: session });
    t.clock.advance(HOUR);
    await callApi({ authorization: `Bearer ${jwt}` });
    const hours = await stats();
    expect(hours).toHaveLength(7 * 24);
    const [previous, current] = hours.slice(-2);
    expect(previous).toMatchObject({ jwt: 3, session: 1 });
    expect(current).toMatchObject({ jwt: 1, session: 0 });
    expect(new Date(current!.hour).getTime() % HOUR).toBe(0);
  });

  it('does not count refused requests', async () => {
    await callApi({ authorization: 'Bearer not-a-token' });
    await callApi({}, { session_id: 'not-a-session' });
    expect((await stats(1)).every((h) => h.jwt === 0 && h.session === 0)).toBe(true);
  });

  it('keeps the counts in memory until the interval: the request path never writes', async () => {
    await callApi({ authorization: `Bearer ${jwt}` });
    expect(await t.tessera.store.requestCounts.list(0)).toEqual([]);
    await t.tessera.requestCounts.flush();
    expect(await t.tessera.store.requestCounts.list(0)).toMatchObject([{ via: 'jwt', count: 1 }]);
  });

  it('deletes hours older than REQUEST_COUNTS_RETENTION_DAYS', async () => {
    await callApi({ authorization: `Bearer ${jwt}` });
    await t.tessera.requestCounts.flush();
    t.clock.advance(31 * 24 * HOUR);
    expect(await t.tessera.requestCounts.prune()).toBe(1);
    expect(await t.tessera.store.requestCounts.list(0)).toEqual([]);
  });

  it('shows the totals in /metrics as tessera_authenticated_requests_total', async () => {
    await callApi({ authorization: `Bearer ${jwt}` });
    await callApi({ authorization: `Bearer ${jwt}` });
    await callApi({}, { session_id: session });
    const body = (await t.app.inject({ url: '/metrics' })).body;
    expect(body).toContain('tessera_authenticated_requests_total{via="jwt"} 2');
    expect(body).toContain('tessera_authenticated_requests_total{via="session"} 1');
  });

  it('is for admins only', async () => {
    const response = await t.app.inject({ url: '/admin/stats/authenticated-requests', headers: { authorization: `Bearer ${jwt}` } });
    expect(response.statusCode).toBe(403);
  });
});
