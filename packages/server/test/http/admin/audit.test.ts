import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AUDIT_EVENT_TYPES } from '../../../src/audit/audit-event-types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../../support/admin.js';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../../support/tessera.js';

interface Event {
  id: number;
  at: string;
  type: string;
  user_id: string | null;
  actor: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown> | null;
}

describe('admin API: the audit trail', () => {
  let t: TestInstance;
  let root: AdminClient;
  let tina: string;
  let start: number;
  const events = async (query: string) => {
    const response = await root.call({ url: `/admin/audit${query}` });
    expect(response.statusCode).toBe(200);
    return response.json<Event[]>();
  };

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '0' /* replays a token on purpose */ });
    root = await adminClient(t);
    start = t.clock.now();
    tina = (await createUser(t.tessera, 'tina')).id;
    t.clock.advanceSeconds(60);
    const tokens = await loginTokens(t.app, 'tina');
    t.clock.advanceSeconds(60);
    await refresh(t.app, tokens.refresh_token);
    await refresh(t.app, tokens.refresh_token); // reuse
    t.clock.advanceSeconds(60);
    await login(t.app, 'tina', 'wrong password');
    await root.call({ method: 'PATCH', url: `/admin/users/${tina}`, payload: { disabled: true } });
  });
  afterAll(() => t.close());

  it("answers a user's events newest first, by id or by username, with time, address and User-Agent", async () => {
    const byId = await events(`?user=${tina}`);
    expect(byId.map((e) => e.type)).toEqual(['admin.user.disable', 'login.failure', 'token.reuse_detected', 'token.refresh', 'login.success']);
    expect(byId[4]).toEqual({
      id: expect.any(Number),
      at: new Date(start + 60_000).toISOString(),
      type: 'login.success',
      user_id: tina,
      actor: null,
      ip: '127.0.0.1',
      user_agent: 'lightMyRequest',
      detail: { familyId: expect.any(String) },
    });
    // The reuse had already revoked both of the user's access tokens: disabling revoked none anew.
    expect(byId[0]).toMatchObject({ actor: root.admin.id, detail: { revokedAccessTokens: 0 } });
    expect(await events('?username=TINA')).toEqual(byId);
  });

  it('filters by event type and by time', async () => {
    const reuse = await events('?type=token.reuse_detected');
    expect(reuse).toHaveLength(1);
    expect(reuse[0]!.detail).toMatchObject({ familyId: expect.any(String), revokedAccessTokens: 2 });
    const since = new Date(start + 120_000).toISOString();
    const until = new Date(start + 180_000).toISOString();
    expect((await events(`?user=${tina}&since=${since}&until=${until}`)).map((e) => e.type)).toEqual(['token.reuse_detected', 'token.refresh']);
    expect(await events(`?since=${new Date(start).toISOString().slice(0, 10)}&type=login.failure`)).toHaveLength(1);
  });

  it('pages backwards with limit and before', async () => {
    const first = await events(`?user=${tina}&limit=2`);
    expect(first.map((e) => e.type)).toEqual(['admin.user.disable', 'login.failure']);
    const next = await events(`?user=${tina}&limit=2&before=${first[1]!.id}`);
    expect(next.map((e) => e.type)).toEqual(['token.reuse_detected', 'token.refresh']);
  });

  it.each([
    ['?since=yesterday', 'since must be an ISO 8601 time such as 2026-01-31T12:00:00Z (got "yesterday")'],
    ['?until=2026-13-45T99:00:00Z', 'until must be an ISO 8601 time such as 2026-01-31T12:00:00Z (got "2026-13-45T99:00:00Z")'],
    ['?limit=5000', 'querystring.limit must be <= 1000'],
    ['?before=x', 'querystring.before must be an integer written in decimal digits'],
    ['?before=1e19', 'querystring.before must be an integer written in decimal digits'],
    ['?before=10000000000000000000', 'querystring.before must be <= 9007199254740991'],
    ['?user=a&username=b', 'Filter by user id or by username, not both'],
    ['?actor=x', 'querystring.actor is not a known parameter'],
    ['?type=token.stolen', `type "token.stolen" is not an audit event type; the types are ${AUDIT_EVENT_TYPES.join(', ')}`],
  ])('refuses %s with 400 naming the parameter', async (query, description) => {
    const response = await root.call({ url: `/admin/audit${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('answers 404 for an unknown username', async () => {
    expect((await root.call({ url: '/admin/audit?username=ghost' })).statusCode).toBe(404);
  });
});

describe('the audit event types', () => {
  it('are the ones docs/api/admin.md lists, each once', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../../../../../docs/api/admin.md'), 'utf8');
    const table = doc.slice(doc.indexOf('Event types:')).split('\n\n')[1]!;
    const documented = table
      .split('\n')
      .slice(2)
      .flatMap((row) => [...row.split('|')[1]!.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...AUDIT_EVENT_TYPES].sort());
  });
});
