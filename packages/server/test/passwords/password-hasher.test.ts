import { describe, expect, it } from 'vitest';
import { OWASP_ARGON2ID, PasswordHasher } from '../../src/passwords/password-hasher.js';

describe('the password hasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id at the OWASP parameters and verifies only the right password', async () => {
    const hash = await hasher.hash('s3cret-Password');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(hash, 's3cret-Password')).toBe(true);
    expect(await hasher.verify(hash, 's3cret-password')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('says a hash with other parameters, or an unreadable one, needs rehashing', async () => {
    const weaker = await new PasswordHasher({ ...OWASP_ARGON2ID, timeCost: 1 }).hash('pw');
    expect(hasher.needsRehash(weaker)).toBe(true);
    expect(hasher.needsRehash('$2b$10$bcrypt-style')).toBe(true);
  });

  it('never matches a stored value that is not a hash', async () => {
    expect(await hasher.verify('plaintext', 'plaintext')).toBe(false);
  });

  it('verifies nothing for unknown users and always fails', async () => {
    await hasher.warmUp();
    expect(await hasher.verifyNothing('anything')).toBe(false);
  });
});
