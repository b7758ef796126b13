import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tessera } from '../support/cli.js';
import { TestClock } from '../support/clock.js';
import { sessionCookieFor, withSession } from '../support/sessions.js';
import { TEST_PASSWORD, TEST_SECRET, createUser, startTestInstance, testEnv, type TestInstance } from '../support/tessera.js';

const DAY = 86_400;

describe('tessera legacy-usage', () => {
  let t: TestInstance;
  let env: Record<string, string>;
  beforeAll(async () => {
    // The CLI compares with the real clock: the server's clock starts 50 days ago and moves 40 days on.
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { clock: new TestClock(Date.now() - 50 * DAY * 1000) });
    env = { NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', DATABASE_URL: `sqlite:${t.dir}/tessera.db` };
    await createUser(t.tessera, 'rosa');
    await createUser(t.tessera, 'saul');
    // Rosa's old integration, last seen 50 days ago; everything else 10 days ago.
    const old = await sessionCookieFor(t.app, 'rosa', TEST_PASSWORD, { 'user-agent': 'old-integration/0.9' });
    await withSession(t.app, '/api/users', old, { 'user-agent': 'old-integration/0.9' });
    t.clock.advanceSeconds(40 * DAY);
    const rosa = await sessionCookieFor(t.app, 'rosa', TEST_PASSWORD, { 'user-agent': 'python-requests/2.32.3' });
    const saul = await sessionCookieFor(t.app, 'saul', TEST_PASSWORD, { 'user-agent': 'reporting-cron/1.4' });
    for (let i = 0; i < 3; i += 1) await withSession(t.app, '/api/users', rosa, { 'user-agent': 'python-requests/2.32.3' });
    t.clock.advanceSeconds(60);
    await withSession(t.app, '/api/me', saul, { 'user-agent': 'reporting-cron/1.4' });
    // Running servers write their counts about every 10 seconds; this is that write.
    await t.tessera.legacyUsage.flush();
  });
  afterAll(() => t.close());

  it('lists the session users of the last N days by client, logins included, most recent first, as a table', async () => {
    const result = await tessera(['legacy-usage', '--days', '60'], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+USER_AGENT\s+REQUESTS\s+FIRST_SEEN\s+LAST_SEEN$/);
    expect(lines.at(-1)).toBe('moved over in the last 60 days: 0 users (0 handed off by your app, 0 lazily migrated, 0 re-hashed at login)');
    expect(lines.slice(1, -1).map((line) => line.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'saul reporting-cron/1.4 2',
      'rosa python-requests/2.32.3 4',
      'rosa old-integration/0.9 2',
    ]);
  });

  it('prints JSON with first and last seen and the request count for scripts', async () => {
    const json = JSON.parse((await tessera(['legacy-usage', '--days', '60', '--json'], env)).stdout) as Array<Record<string, unknown>>;
    expect(json[1]).toEqual({
      username: 'rosa',
      user_id: expect.any(String),
      user_agent: 'python-requests/2.32.3',
      requests: 4,
      first_seen: new Date(t.clock.now() - 60_000).toISOString(),
      last_seen: new Date(t.clock.now() - 60_000).toISOString(),
    });
  });

  it('leaves out clients not seen within --days, 30 unless told', async () => {
    const recent = JSON.parse((await tessera(['legacy-usage', '--json'], env)).stdout) as Array<{ user_agent: string }>;
    expect(recent.map((r) => r.user_agent)).toEqual(['reporting-cron/1.4', 'python-requests/2.32.3']);
  });

  it('lists a client that logged in with a session and made no further request', async () => {
    await createUser(t.tessera, 'tomas');
    await t.app.inject({
      method: 'POST',
      url: '/api/login',
      headers: { 'user-agent': 'login-only/1.0' },
      payload: { username: 'tomas', password: TEST_PASSWORD },
    });
    await t.tessera.legacyUsage.flush();
    const json = JSON.parse((await tessera(['legacy-usage', '--json'], env)).stdout) as Array<{ username: string; user_agent: string; requests: number }>;
    expect(json).toContainEqual(expect.objectContaining({ username: 'tomas', user_agent: 'login-only/1.0', requests: 1 }));
  });

  it('says (none) when nobody used a session, and refuses a bad --days', async () => {
    const empty = testEnv();
    try {
      await tessera(['migrate'], empty.env);
      expect((await tessera(['legacy-usage'], empty.env)).stdout).toBe(
        '(none)\nmoved over in the last 30 days: 0 users (0 handed off by your app, 0 lazily migrated, 0 re-hashed at login)\n',
      );
    } finally {
      rmSync(empty.dir, { recursive: true, force: true });
    }
    const bad = await tessera(['legacy-usage', '--days', '0'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tessera: --days must be a whole number from 1 to 3650/);
  });
});
