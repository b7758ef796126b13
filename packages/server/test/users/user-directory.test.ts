import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInstance, type TestInstance } from '../support/tessera.js';

describe('creating users', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  it('stores the username in lower case and refuses a second user with the same name', async () => {
    const user = await t.tessera.users.create({ username: 'Zoe', password: 'long enough', role: 'user' });
    expect(user.username).toBe('zoe');
    await expect(t.tessera.users.create({ username: 'ZOE', password: 'long enough', role: 'user' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it.each([
    [{ username: 'has space', password: 'long enough', role: 'user' }, /username/],
    [{ username: '', password: 'long enough', role: 'user' }, /username/],
    [{ username: 'ok', password: 'short', role: 'user' }, /password must be 8/],
    [{ username: 'ok', password: 'long enough', role: 'Admin!' }, /role/],
  ])('refuses %o', async (account, message) => {
    await expect(t.tessera.users.create(account)).rejects.toMatchObject({ code: 'invalid_request', description: expect.stringMatching(message) });
  });

  it('lists users oldest first, with the total', async () => {
    const page = await t.tessera.users.list({ limit: 10, offset: 0 });
    expect(page.total).toBe(page.users.length);
    expect(page.users[0]!.username).toBe('zoe');
  });
});
