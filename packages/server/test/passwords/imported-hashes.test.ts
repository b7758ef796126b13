import { describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.js';
import { readImportedHash, verifyStoredHash } from '../../src/passwords/imported-hashes.js';
import { HASHES, IMPORTED_PASSWORD } from './imported-hash-fixtures.js';

const cases: Array<[string, string, string, string]> = [
  ['bcrypt ($2b$)', HASHES.bcrypt2b, 'bcrypt', IMPORTED_PASSWORD],
  ["PHP's bcrypt ($2y$)", HASHES.bcrypt2yPhp, 'bcrypt', 'rasmuslerdorf'],
  ["OpenBSD's bcrypt ($2a$)", HASHES.bcrypt2aOpenBsd, 'bcrypt', 'U*U'],
  ['argon2i', HASHES.argon2i, 'argon2', IMPORTED_PASSWORD],
  ["Django's PBKDF2", HASHES.djangoPbkdf2, 'pbkdf2', IMPORTED_PASSWORD],
  ["Django's scrypt", HASHES.djangoScrypt, 'scrypt', IMPORTED_PASSWORD],
  ["Werkzeug's PBKDF2", HASHES.werkzeugPbkdf2, 'pbkdf2', IMPORTED_PASSWORD],
  ["Werkzeug's scrypt", HASHES.werkzeugScrypt, 'scrypt', IMPORTED_PASSWORD],
  ["passlib's PBKDF2-SHA256", HASHES.passlibPbkdf2, 'pbkdf2', IMPORTED_PASSWORD],
  ["passlib's PBKDF2-SHA512", HASHES.passlibPbkdf2Sha512, 'pbkdf2', IMPORTED_PASSWORD],
  ["passlib's scrypt (PHC)", HASHES.passlibScrypt, 'scrypt', IMPORTED_PASSWORD],
  ['PBKDF2 in PHC', HASHES.phcPbkdf2, 'pbkdf2', IMPORTED_PASSWORD],
];

describe('imported password hashes', () => {
  it.each(cases)('reads %s and verifies its password, and only its password', async (_name, text, scheme, password) => {
    const read = readImportedHash(text);
    expect(read.scheme).toBe(scheme);
    expect(await verifyStoredHash(read.stored, password)).toBe(true);
    expect(await verifyStoredHash(read.stored, `${password}!`)).toBe(false);
  });

  it('stores PBKDF2 and scrypt hashes as PHC strings, whatever encoding they came in', () => {
    expect(readImportedHash(HASHES.djangoPbkdf2).stored).toMatch(/^\$pbkdf2-sha256\$i=600000,l=32\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(readImportedHash(HASHES.werkzeugScrypt).stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
    expect(readImportedHash(HASHES.phcPbkdf2).stored).toBe(HASHES.phcPbkdf2);
  });

  it.each([
    ['plain text', 'hunter2', /not bcrypt, argon2, scrypt or PBKDF2/],
    ['an unsalted MD5', '5f4dcc3b5aa765d61d8327deb882cf99', /not bcrypt, argon2, scrypt or PBKDF2/],
    ['an empty hash', '', /empty/],
    ['a truncated bcrypt hash', HASHES.bcrypt2b.slice(0, 40), /bcrypt hash is malformed/],
    ['bcrypt with cost 31', HASHES.bcrypt2b.replace('$10$', '$31$'), /bcrypt cost must be/],
    ['scrypt needing 1 GiB per check', HASHES.passlibScrypt.replace('ln=14,r=8', 'ln=20,r=8'), /more than 256 MiB/],
    ['PBKDF2 with a billion iterations', HASHES.djangoPbkdf2.replace('600000', '1000000000'), /iterations must be/],
    ['Werkzeug PBKDF2 without its iteration count', 'pbkdf2:sha256$salt$abcdef', /iteration count/],
    ['scrypt with N not a power of two', HASHES.djangoScrypt.replace('16384', '10000'), /power of two/],
    ['argon2 asking for 4 GiB', HASHES.argon2i.replace('m=4096', 'm=4194304'), /argon2 memory/],
    // Each within the memory limits, but seconds of one core per check: a few wrong guesses would hold every hashing slot.
    ['bcrypt with cost 15', HASHES.bcrypt2b.replace('$10$', '$15$'), /bcrypt cost must be a whole number from 4 to 14/],
    ['PBKDF2 with ten million iterations', HASHES.djangoPbkdf2.replace('600000', '10000000'), /iterations must be a whole number from 1 to 2000000/],
    ['scrypt with 16 lanes of 256 MiB', HASHES.passlibScrypt.replace('ln=14,r=8,p=1', 'ln=18,r=8,p=16'), /more than 512 MiB of work/],
    ['argon2 with 256 MiB and 16 passes', HASHES.argon2i.replace('m=4096,t=3', 'm=262144,t=16'), /more than 1 GiB of work/],
  ])('refuses %s, saying why', (_name, text, reason) => {
    expect(() => readImportedHash(text)).toThrow(UnusableHashError);
    expect(() => readImportedHash(text)).toThrow(reason);
  });

  it('never matches a stored hash of no known scheme', async () => {
    expect(await verifyStoredHash('md5$abc', 'anything')).toBe(false);
  });
});
