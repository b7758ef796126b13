import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('the audit trail', () => {
  let t: TestInstance;
  let userId: string;
  const events = (query: { userId?: string; type?: string } = {}) => t.tessera.audit.query({ limit: 100, ...query });

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '3' });
    userId = (await createUser(t.tessera, 'audited')).id;
  });
  afterAll(() => t.close());

  it('records a successful login with the user, IP, User-Agent and family', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: '192.0.2.50',
      headers: { 'user-agent': 'audit-test/1.0' },
      payload: { username: 'audited', password: 'correct horse battery' },
    });
    const [event] = await events({ type: 'login.success' });
    expect(event).toMatchObject({ userId, ip: '192.0.2.50', userAgent: 'audit-test/1.0', detail: { familyId: expect.any(String) } });
    expect(event!.at).toBe(t.clock.now());
  });

  it('records failed logins with the reason, never the password', async () => {
    await login(t.app, 'audited', 'wrong-password');
    await login(t.app, 'ghost', 'wrong-password');
    const failures = await events({ type: 'login.failure' });
    expect(failures.map((e) => e.detail)).toEqual([
      { username: 'ghost', reason: 'unknown_user' },
      { username: 'audited', reason: 'bad_password' },
    ]);
    expect(JSON.stringify(failures)).not.toContain('wrong-password');
  });

  it("records a disabled account's refused login as disabled_account, while the client sees a wrong password", async () => {
    const fresh = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    try {
      const user = await createUser(fresh.tessera, 'benched');
      await fresh.tessera.admin.accounts.setDisabled(user.id, true, { id: 'cli' });
      const refused = await login(fresh.app, 'benched');
      const wrong = await login(fresh.app, 'benched', 'wrong-password');
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toEqual(wrong.json());
      const failures = await fresh.tessera.audit.query({ type: 'login.failure', limit: 10 });
      expect(failures.map((e) => e.detail)).toEqual([
        { username: 'benched', reason: 'bad_password' },
        { username: 'benched', reason: 'disabled_account' },
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('records refreshes, refused refreshes and reuse detection with the revoked family', async () => {
    const fresh = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '0' /* replays a token on purpose */ });
    try {
      const user = await createUser(fresh.tessera, 'reuser');
      const tokens = await loginTokens(fresh.app, 'reuser');
      await refresh(fresh.app, tokens.refresh_token);
      await refresh(fresh.app, tokens.refresh_token);
      await refresh(fresh.app, 'garbage.token.value');
      const types = (await fresh.tessera.audit.query({ limit: 10 })).map((e) => e.type);
      expect(types).toEqual(['token.refresh_failed', 'token.reuse_detected', 'token.refresh', 'login.success']);
      const [reuse] = await fresh.tessera.audit.query({ type: 'token.reuse_detected', limit: 1 });
      expect(reuse).toMatchObject({ userId: user.id, detail: { familyId: expect.any(String), revokedAccessTokens: 2 } });
    } finally {
      await fresh.close();
    }
  });

  it('records a logout once per ended family', async () => {
    const tokens = await loginTokens(t.app, 'audited');
    await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${tokens.access_token}` },
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(await events({ type: 'logout' })).toHaveLength(1);
  });

  it('records the first rate-limit rejection of a client per window, not every one', async () => {
    for (let i = 0; i < 8; i += 1) await login(t.app, 'flood', 'x');
    const limited = await events({ type: 'rate_limited' });
    expect(limited).toHaveLength(1);
    expect(limited[0]!.detail).toEqual({ route: '/auth/login', budget: 'credential' });
  });

  it('keeps events buffered while the database is unreachable and writes them afterwards', async () => {
    const fresh = await startTestInstance();
    try {
      const append = fresh.tessera.store.audit.append.bind(fresh.tessera.store.audit);
      fresh.tessera.store.audit.append = async () => {
        throw new Error('database down');
      };
      fresh.tessera.audit.record({ type: 'login.failure', detail: { username: 'x', reason: 'unknown_user' } });
      await fresh.tessera.audit.flush();
      fresh.tessera.store.audit.append = append;
      expect(await fresh.tessera.audit.query({ limit: 10 })).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });
});
