import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../../support/admin.js';
import { createUser, getUsers, login, loginTokens, startTestInstance, type TestInstance } from '../../support/tessera.js';

describe('the rollout through the admin API', () => {
  let t: TestInstance;
  let root: AdminClient;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ROLLOUT_PERCENT: '100' });
    root = await adminClient(t);
    await createUser(t.tessera, 'rolled');
  });
  afterAll(() => t.close());

  it('shows the percentage from the environment until an admin stores one', async () => {
    const response = await root.call({ url: '/admin/rollout' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ percent: 100, source: 'environment', overrides: [] });
  });

  it('rolls back to 0 at once on this instance, keeping issued tokens unless asked to revoke them', async () => {
    const kept = await loginTokens(t.app, 'rolled');
    const set = await root.call({ method: 'PUT', url: '/admin/rollout', payload: { percent: 0 } });
    expect(set.json()).toMatchObject({ percent: 0, source: 'database', previous_percent: 100, revoked_users: null });
    expect((await login(t.app, 'rolled')).json().error).toBe('jwt_not_enabled');
    expect((await getUsers(t.app, kept.access_token)).statusCode).toBe(200);

    const revoking = await root.call({ method: 'PUT', url: '/admin/rollout', payload: { percent: 0, revoke: true } });
    expect(revoking.json().revoked_users).toBe(1);
    expect((await getUsers(t.app, kept.access_token)).statusCode).toBe(401);
    // The admin stays in, whatever the percentage: the admin API takes access tokens only.
    expect((await root.call({ url: '/admin/rollout' })).statusCode).toBe(200);
    expect((await login(t.app, 'root')).statusCode).toBe(200);
  });

  it('lets one user in whatever the percentage, and clears the override', async () => {
    const on = await root.call({ method: 'PUT', url: '/admin/rollout/overrides/Rolled', payload: { enabled: true } });
    expect(on.json().overrides).toEqual([expect.objectContaining({ username: 'rolled', enabled: true })]);
    expect((await login(t.app, 'rolled')).statusCode).toBe(200);
    const cleared = await root.call({ method: 'PUT', url: '/admin/rollout/overrides/rolled', payload: { enabled: null } });
    expect(cleared.json().overrides).toEqual([]);
    expect((await login(t.app, 'rolled')).statusCode).toBe(403);
  });

  it('resets to JWT_ROLLOUT_PERCENT and records every change in the audit trail with the admin as actor', async () => {
    const reset = await root.call({ method: 'DELETE', url: '/admin/rollout' });
    expect(reset.json()).toMatchObject({ percent: 100, source: 'environment' });
    const events = await t.tessera.audit.query({ limit: 50 });
    const types = events.filter((e) => e.type.startsWith('admin.rollout.')).map((e) => e.type);
    expect(types).toEqual(['admin.rollout.reset', 'admin.rollout.override', 'admin.rollout.override', 'admin.rollout.revoke', 'admin.rollout.set', 'admin.rollout.set']);
    expect(events.find((e) => e.type === 'admin.rollout.reset')!.actor).toBe(root.admin.id);
  });

  it('answers 404 for an unknown user and 400 naming a bad field', async () => {
    expect((await root.call({ method: 'PUT', url: '/admin/rollout/overrides/nobody', payload: { enabled: true } })).statusCode).toBe(404);
    const bad = await root.call({ method: 'PUT', url: '/admin/rollout', payload: { percent: 101 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_description).toBe('body.percent must be <= 100');
    expect((await root.call({ url: '/admin/legacy-usage?days=0' })).statusCode).toBe(400);
  });

  it('lists who still uses sessions, by client, the session login included', async () => {
    const session = await t.app.inject({ method: 'POST', url: '/api/login', headers: { 'user-agent': 'old-app/2' }, payload: { username: 'rolled', password: 'correct horse battery' } });
    const cookie = session.cookies.find((c) => c.name === 'session_id')!.value;
    await t.app.inject({ url: '/api/users', headers: { 'user-agent': 'old-app/2' }, cookies: { session_id: cookie } });
    const usage = await root.call({ url: '/admin/legacy-usage?days=7' });
    expect(usage.json()).toEqual([expect.objectContaining({ username: 'rolled', user_agent: 'old-app/2', requests: 2 })]);
  });
});
