import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { loadConfig } from '../../src/config.js';
import { createTessera } from '../../src/tessera.js';
import { apiStatus, cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { TestClock } from '../support/clock.js';
import { createUser, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

describe('tessera keys list|rotate', () => {
  let t: TestInstance;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The CLI reads the real clock, so the server's must agree with it for key retirement times to line up.
    // The key-reload timer is held off: each test reloads when it means to (or, meeting an unknown kid, the
    // server does), so a slow run cannot let the timer load a rotated key before the test looks.
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { clock: new TestClock(Date.now()), intervals: { keyReloadMs: 86_400_000 } });
    env = cliEnvFor(t);
    await createUser(t.tessera, 'beth');
  });
  afterAll(() => t.close());

  it('lists the keys as a table, or as JSON', async () => {
    const table = await tessera(['keys', 'list'], env);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KID\s+USE\s+ALG\s+STATE\s+CREATED_AT\s+RETIRES_AT$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 4))).toEqual([['access', 'RS256', 'active'], ['refresh', 'HS256', 'active']]);
    const json = JSON.parse((await tessera(['keys', 'list', '--json'], env)).stdout) as Array<{ kid: string }>;
    expect(json[0]!.kid).toBe(t.tessera.keyRing.signingKey('access').kid);
  });

  it('rotate: the server signs with the new key after its key reload, and earlier tokens stay valid', async () => {
    const before = await loginTokens(t.app, 'beth');
    const result = await tessera(['keys', 'rotate'], env);
    expect(result.code).toBe(0);
    const [first, second] = result.stdout.trimEnd().split('\n');
    const newKid = /^new access key (\S+) signs from now on \(running servers switch within 5 seconds\)$/.exec(first!)![1]!;
    expect(second).toMatch(new RegExp(`^previous key ${kidOf(before.access_token)} verifies until \\d{4}-\\d\\d-\\d\\dT.+Z, then retires$`));

    await t.tessera.keyRing.reload(); // what the server's 5-second key reload does
    const after = await loginTokens(t.app, 'beth');
    expect(kidOf(after.access_token)).toBe(newKid);
    expect(await apiStatus(t, before.access_token)).toBe(200);
    const [event] = await t.tessera.audit.query({ type: 'admin.key.rotate', limit: 1 });
    expect(event).toMatchObject({ actor: 'cli', detail: { use: 'access', kid: newKid } });
  });

  it('a server that meets a token signed with a key it has not loaded yet looks it up at once', async () => {
    await tessera(['keys', 'rotate'], env);
    // Another instance on the same database, started after the rotation, signs with the new key.
    const other = await createTessera(loadConfig(env), { logger: createLogger('silent'), clock: t.clock });
    try {
      const fresh = await other.tokenPairs.startFamily({ id: (await other.store.users.findByUsername('beth'))!.id, role: 'user' }, { ip: null, userAgent: null });
      expect(kidOf(fresh.accessToken)).not.toBe(t.tessera.keyRing.signingKey('access').kid);
      expect(await apiStatus(t, fresh.accessToken)).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('rotates the refresh key with --use refresh; refresh tokens signed before still work', async () => {
    const before = await loginTokens(t.app, 'beth');
    const result = await tessera(['keys', 'rotate', '--use', 'refresh', '--json'], env);
    const rotated = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(rotated).toMatchObject({ use: 'refresh', alg: 'HS256', state: 'active', previous_kid: kidOf(before.refresh_token) });
    expect(rotated.previous_retires_at).toMatch(/Z$/);
    await t.tessera.keyRing.reload();
    expect((await refresh(t.app, before.refresh_token)).statusCode).toBe(200);
    const bad = await tessera(['keys', 'rotate', '--use', 'signing'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Allowed choices are access, refresh/);
  });
});
