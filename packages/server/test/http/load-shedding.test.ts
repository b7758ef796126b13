import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, login, startTestInstance, type TestInstance } from '../support/tessera.js';

const FLOOD = 24;

describe('a login flood', () => {
  let t: TestInstance;
  beforeAll(async () => {
    // A 1 ms bound: every login that has to queue behind another argon2id check is shed.
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', LOGIN_QUEUE_MAX_WAIT_MS: '1' });
    await createUser(t.tessera, 'flo');
  });
  afterAll(() => t.close());

  it('is shed with 503, Retry-After and a JSON error once the hashing queue wait passes its bound', async () => {
    const answers = await Promise.all(Array.from({ length: FLOOD }, () => login(t.app, 'flo')));
    const shed = answers.filter((a) => a.statusCode === 503);
    expect(answers.filter((a) => a.statusCode === 200).length).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
    expect(shed.length + answers.filter((a) => a.statusCode === 200).length).toBe(FLOOD);
    for (const answer of shed) {
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'Too many logins at once; retry in 1 second' });
    }
  });

  it('counts the shed logins in /metrics', async () => {
    const before = await shedCount(t);
    const answers = await Promise.all(Array.from({ length: FLOOD }, () => login(t.app, 'flo')));
    const shed = answers.filter((a) => a.statusCode === 503).length;
    expect(shed).toBeGreaterThan(0);
    expect(await shedCount(t)).toBe(before + shed);
  });

  it('lets a login through once the flood is over', async () => {
    expect((await login(t.app, 'flo')).statusCode).toBe(200);
  });
});

async function shedCount(t: TestInstance): Promise<number> {
  const metrics = (await t.app.inject({ url: '/metrics' })).body;
  return Number(/^tessera_logins_shed_total (\d+)$/m.exec(metrics)?.[1] ?? NaN);
}
