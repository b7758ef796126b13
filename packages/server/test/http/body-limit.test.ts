import { afterEach, describe, expect, it } from 'vitest';
import { adminClient } from '../support/admin.js';
import { login, startTestInstance, TEST_PASSWORD, type TestInstance } from '../support/tessera.js';

/** A POST /admin/users body of about `bytes` bytes (the padding is an unknown field, ignored or refused as 400). */
const paddedUser = (bytes: number) => JSON.stringify({ username: 'ada', password: TEST_PASSWORD, note: 'x'.repeat(bytes) });

describe('HTTP_BODY_LIMIT', () => {
  let t: TestInstance | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const createUser = async (instance: TestInstance, body: string) =>
    (await adminClient(instance)).call({ method: 'POST', url: '/admin/users', payload: body, headers: { 'content-type': 'application/json' } });

  it('accepts bodies up to 16 KiB by default', async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    expect((await createUser(t, paddedUser(8_000))).statusCode).not.toBe(413);
  });

  it('answers 413 payload_too_large to a body over a lowered limit', async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', HTTP_BODY_LIMIT: '2048' });
    const response = await createUser(t, paddedUser(3_000));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'payload_too_large', error_description: 'The request body is too large' });
  });

  it('leaves the login endpoints their own 4 KiB limit', async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', HTTP_BODY_LIMIT: '1024' });
    expect((await login(t.app, 'nobody', 'p'.repeat(2_000))).statusCode).not.toBe(413);
  });
});
