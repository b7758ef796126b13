import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../support/admin.js';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

/** The value of one sample in a Prometheus text exposition, e.g. `tessera_logins_total{outcome="success"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: TestInstance;
  let root: AdminClient;
  const scrape = async () => {
    const response = await t.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '4', REFRESH_REUSE_INTERVAL: '0' /* replays a token on purpose */ });
    root = await adminClient(t);
    const user = await createUser(t.tessera, 'uma');
    const laptop = await loginTokens(t.app, 'uma');
    await loginTokens(t.app, 'uma');
    await login(t.app, 'uma', 'wrong password');
    await refresh(t.app, laptop.refresh_token);
    await refresh(t.app, laptop.refresh_token); // reuse: the laptop's family is revoked
    await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: 'not.a.token' } });
    for (let i = 0; i < 6; i += 1) await t.app.inject({ method: 'POST', url: '/auth/logout', payload: {} });
    await root.call({ url: `/admin/users/${user.id}` });
    await root.call({ url: '/admin/users/nobody' });
  });
  afterAll(() => t.close());

  it('answers in the Prometheus text format', async () => {
    const response = await t.app.inject({ url: '/metrics' });
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toMatch(/^# HELP tessera_http_requests_total /m);
    expect(response.body).toMatch(/^# TYPE tessera_http_request_duration_seconds histogram$/m);
    expect(response.body).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('counts requests and their latency by route pattern and status, never by raw URL', async () => {
    const text = await scrape();
    expect(sample(text, 'tessera_http_requests_total{method="POST",route="/auth/login",status="200"}')).toBe(3);
    expect(sample(text, 'tessera_http_requests_total{method="POST",route="/auth/login",status="401"}')).toBe(1);
    expect(sample(text, 'tessera_http_requests_total{method="GET",route="/admin/users/:id",status="200"}')).toBe(1);
    expect(sample(text, 'tessera_http_requests_total{method="GET",route="/admin/users/:id",status="404"}')).toBe(1);
    expect(sample(text, 'tessera_http_request_duration_seconds_count{method="POST",route="/auth/login",status="200"}')).toBe(3);
    expect(text).not.toContain('/admin/users/nobody');
    await t.app.inject({ url: '/no/such/page' });
    expect(sample(await scrape(), 'tessera_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
  });

  it('counts logins, refreshes, reuse, logouts and rate-limit rejections', async () => {
    const text = await scrape();
    expect(sample(text, 'tessera_logins_total{outcome="success"}')).toBe(3);
    expect(sample(text, 'tessera_logins_total{outcome="failure"}')).toBe(1);
    expect(sample(text, 'tessera_refreshes_total{outcome="success"}')).toBe(1);
    expect(sample(text, 'tessera_refreshes_total{outcome="failure"}')).toBe(1);
    expect(sample(text, 'tessera_refresh_reuse_detected_total')).toBe(1);
    expect(sample(text, 'tessera_rate_limited_total{route="/auth/logout"}')).toBe(2);
  });

  it('counts revocations by reason and the live families of all users', async () => {
    const before = await scrape();
    expect(sample(before, 'tessera_revocations_total{reason="reuse_detected"}')).toBe(1);
    // root's login and uma's second device; uma's laptop family was revoked for reuse.
    expect(sample(before, 'tessera_active_families')).toBe(2);

    const uma = (await root.call({ url: '/admin/users?username=uma' })).json<Array<{ id: string }>>()[0]!;
    await root.call({ method: 'DELETE', url: `/admin/users/${uma.id}/families` });
    const after = await scrape();
    expect(sample(after, 'tessera_revocations_total{reason="admin_sign_out"}')).toBe(1);
    expect(sample(after, 'tessera_active_families')).toBe(1);
    expect(sample(after, 'tessera_revocation_list_entries')).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'tessera_revocation_list_evicted_total')).toBe(0);
    expect(sample(after, 'tessera_audit_events_dropped_total')).toBe(0);
  });

  it('is never rate limited', async () => {
    for (let i = 0; i < 10; i += 1) expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('lists the request series in the order they were first answered, each with its histogram', async () => {
    const fresh = await startTestInstance();
    try {
      await fresh.app.inject({ url: '/healthz' });
      await fresh.app.inject({ url: '/no/such/page' });
      await fresh.app.inject({ method: 'DELETE', url: '/healthz' });
      await fresh.app.inject({ url: '/healthz' });
      const text = (await fresh.app.inject({ url: '/metrics' })).body;
      const counted = text.split('\n').filter((l) => l.startsWith('tessera_http_requests_total{'));
      expect(counted).toEqual([
        'tessera_http_requests_total{method="GET",route="/healthz",status="200"} 2',
        'tessera_http_requests_total{method="GET",route="unmatched",status="404"} 1',
        'tessera_http_requests_total{method="DELETE",route="unmatched",status="405"} 1',
      ]);
      expect(sample(text, 'tessera_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/healthz",status="200"}')).toBe(2);
      expect(sample(text, 'tessera_http_request_duration_seconds_count{method="DELETE",route="unmatched",status="405"}')).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('keeps each instance’s counts apart, even in one process', async () => {
    const other = await startTestInstance({ REFRESH_REUSE_INTERVAL: '0' /* replays a token on purpose */ });
    try {
      const text = (await other.app.inject({ url: '/metrics' })).body;
      expect(sample(text, 'tessera_logins_total{outcome="success"}')).toBeUndefined();
      expect(sample(await scrape(), 'tessera_logins_total{outcome="success"}')).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('still answers while the database is unreachable, with the family count unknown', async () => {
    const broken = await startTestInstance();
    await broken.tessera.store.close();
    const response = await broken.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(sample(response.body, 'tessera_active_families')).toBeNaN();
    await broken.app.close();
  });
});

describe('GET /metrics with METRICS_TOKEN set', () => {
  const token = 'scrape-token-7f3a9c1e5b';
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ METRICS_TOKEN: token });
  });
  afterAll(() => t.close());

  it('refuses a scrape without the token (401) or with another (401 invalid_token)', async () => {
    const bare = await t.app.inject({ url: '/metrics' });
    expect(bare.statusCode).toBe(401);
    expect(bare.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    const wrong = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-token-7f3a9c1e5c' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toBe('invalid_token');
    expect(wrong.body).not.toContain(token);
  });

  it('answers a scrape with the token', async () => {
    const response = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('tessera_http_requests_total');
  });
});
