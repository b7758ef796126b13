import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/passwords/password-hasher.js';
import { createUser, login, startTestInstance, type TestInstance } from '../support/tessera.js';

/** Counts argon2id verifications, so a test can see that unknown users cost one too. */
class CountingHasher extends PasswordHasher {
  verifications = 0;
  override async verify(hash: string, password: string): Promise<boolean> {
    this.verifications += 1;
    return super.verify(hash, password);
  }
}

describe('POST /auth/login', () => {
  let t: TestInstance;
  const hasher = new CountingHasher();
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { passwords: hasher });
    await createUser(t.tessera, 'ivan');
  });
  afterAll(() => t.close());

  it('gives an unknown user and a wrong password the same 401 body', async () => {
    const unknown = await login(t.app, 'nobody-here', 'whatever1');
    const wrong = await login(t.app, 'ivan', 'whatever1');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
    expect(unknown.json()).toEqual({ error: 'invalid_credentials', error_description: 'Invalid username or password' });
  });

  it('spends an argon2id verification on an unknown user, as on a wrong password', async () => {
    const before = hasher.verifications;
    await login(t.app, 'nobody-at-all', 'whatever1');
    expect(hasher.verifications - before).toBe(1);
  });

  it('treats usernames case-insensitively', async () => {
    expect((await login(t.app, 'IVAN')).statusCode).toBe(200);
  });

  it('refuses a disabled account with the same 401 body', async () => {
    const user = await createUser(t.tessera, 'judy');
    await t.tessera.store.users.update(user.id, { disabledAt: t.clock.now() }, t.clock.now());
    const response = await login(t.app, 'judy');
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_credentials');
  });

  it('stores argon2id hashes with at least m=19 MiB, t=2, p=1', async () => {
    const user = await t.tessera.store.users.findByUsername('ivan');
    expect(user!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('rehashes a password stored with weaker parameters on the next login', async () => {
    const weak = new PasswordHasher({ memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const user = await createUser(t.tessera, 'kim');
    await t.tessera.store.users.update(user.id, { passwordHash: await weak.hash('correct horse battery') }, t.clock.now());
    expect((await login(t.app, 'kim')).statusCode).toBe(200);
    const after = await t.tessera.store.users.findByUsername('kim');
    expect(after!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(t.app, 'kim')).statusCode).toBe(200);
  });
});
