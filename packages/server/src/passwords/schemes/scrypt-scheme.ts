import { serialize } from '@phc/format';
import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { UnusableHashError } from '../../errors.js';
import { readPhc, within, type HashScheme } from './hash-scheme.js';

interface ScryptHash {
  /** log2 of N, the cost. */
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

// Django: `scrypt$<N>$<salt text>$<r>$<p>$<base64 hash>`.
const DJANGO = /^scrypt\$(\d+)\$([^$]+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)$/;
// Werkzeug: `scrypt:<N>:<r>:<p>$<salt text>$<hex hash>`.
const WERKZEUG = /^scrypt:(\d+):(\d+):(\d+)\$([^$]+)\$([0-9a-f]+)$/;
// PHC and passlib (what Tessera stores): `$scrypt$ln=16,r=8,p=1$<b64 salt>$<b64 hash>` (some write n=65536).
const PHC = /^\$scrypt\$/;

/** Largest scrypt working memory accepted (128·N·r bytes): a login must not be able to exhaust the server. */
const MAX_MEMORY = 256 * 1024 * 1024;
const MAX_WORK = 512 * 1024 * 1024;

function log2(n: number, what: string): number {
  const ln = Math.log2(n);
  if (!Number.isInteger(ln)) throw new UnusableHashError(`${what} must be a power of two`);
  return ln;
}

function fromText(text: string): ScryptHash | undefined {
  const django = DJANGO.exec(text);
  if (django) {
    const [, n, salt, r, p, hash] = django;
    return { ln: log2(Number(n), 'scrypt N'), r: Number(r), p: Number(p), salt: Buffer.from(salt!, 'utf8'), hash: Buffer.from(hash!, 'base64') };
  }
  const werkzeug = WERKZEUG.exec(text);
  if (werkzeug) {
    const [, n, r, p, salt, hash] = werkzeug;
    return { ln: log2(Number(n), 'scrypt N'), r: Number(r), p: Number(p), salt: Buffer.from(salt!, 'utf8'), hash: Buffer.from(hash!, 'hex') };
  }
  if (PHC.test(text)) return fromPhc(text);
  if (text.startsWith('scrypt')) throw new UnusableHashError('scrypt hash is not in a format Tessera reads (PHC, passlib, Django or Werkzeug)');
  return undefined;
}

function fromPhc(text: string): ScryptHash {
  const phc = readPhc(text, 'scrypt');
  const params = phc.params ?? {};
  const ln = params.ln !== undefined ? Number(params.ln) : log2(Number(params.n), 'scrypt n');
  return { ln, r: Number(params.r), p: Number(params.p), salt: phc.salt, hash: phc.hash };
}

function toPhc(value: ScryptHash): string {
  within(value.ln, 1, 20, 'scrypt cost (log2 N)');
  within(value.r, 1, 32, 'scrypt block size (r)');
  within(value.p, 1, 16, 'scrypt parallelism (p)');
  within(value.hash.length, 16, 128, 'scrypt hash length (bytes)');
  if (128 * 2 ** value.ln * value.r > MAX_MEMORY) throw new UnusableHashError('scrypt parameters need more than 256 MiB per check');
  // Its parallel lanes run one after another here: p times the memory is the work of one check.
  if (128 * 2 ** value.ln * value.r * value.p > MAX_WORK) throw new UnusableHashError('scrypt parameters need more than 512 MiB of work (N × r × p × 128 bytes) per check');
  if (value.salt.length === 0) throw new UnusableHashError('scrypt salt is empty');
  return serialize({ id: 'scrypt', params: { ln: value.ln, r: value.r, p: value.p }, salt: value.salt, hash: value.hash });
}

function derive(password: string, value: ScryptHash): Promise<Buffer> {
  const N = 2 ** value.ln;
  const options: ScryptOptions = { N, r: value.r, p: value.p, maxmem: 128 * N * value.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, value.salt, value.hash.length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** scrypt by node:crypto, stored as a PHC string (passlib's parameter names). */
export const scryptScheme: HashScheme = {
  name: 'scrypt',
  read(text) {
    const value = fromText(text);
    return value && toPhc(value);
  },
  owns: (stored) => PHC.test(stored),
  async verify(stored, password) {
    const value = fromPhc(stored);
    return timingSafeEqual(await derive(password, value), value.hash);
  },
};
