import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestInstance, type TestInstance } from '../support/tessera.js';
import { deprecationOf, sessionLogin, withSession } from '../support/sessions.js';

describe('deprecation headers from the configured dates and guide', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({
      AUTH_RATE_LIMIT: '0',
      SESSIONS_DEPRECATED_AT: '2026-12-01T09:30:00+01:00',
      SESSIONS_SUNSET: '2027-03-01',
      MIGRATION_GUIDE_URL: 'https://docs.example.com/auth/migrate',
    });
    await createUser(t.tessera, 'noor');
  });
  afterAll(() => t.close());

  const expected = {
    deprecation: `@${Date.parse('2026-12-01T08:30:00Z') / 1000}`,
    sunset: 'Mon, 01 Mar 2027 00:00:00 GMT',
    link: '<https://docs.example.com/auth/migrate>; rel="deprecation"',
  };

  it("carries them on /api/login's own answers, successful or not", async () => {
    const ok = await sessionLogin(t.app, 'noor');
    expect(ok.statusCode).toBe(200);
    expect(deprecationOf(ok)).toEqual(expected);
    const refused = await sessionLogin(t.app, 'noor', 'wrong password');
    expect(refused.statusCode).toBe(401);
    expect(deprecationOf(refused)).toEqual(expected);
  });

  it('carries them on /api/logout and on protected responses authenticated by the session', async () => {
    const cookie = (await sessionLogin(t.app, 'noor')).cookies.find((c) => c.name === 'session_id')!.value;
    expect(deprecationOf(await withSession(t.app, '/api/users', cookie))).toEqual(expected);
    const logout = await t.app.inject({ method: 'POST', url: '/api/logout', cookies: { session_id: cookie } });
    expect(deprecationOf(logout)).toEqual(expected);
  });
});

describe('GET /docs/auth-migration-guide.md', () => {
  it('serves the migration guide that the default Link header points to', async () => {
    const t = await startTestInstance();
    try {
      const response = await t.app.inject({ url: '/docs/auth-migration-guide.md' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/markdown; charset=utf-8');
      expect(response.body).toBe(readFileSync(new URL('../../../../docs/auth-migration-guide.md', import.meta.url), 'utf8'));
    } finally {
      await t.close();
    }
  });
});
