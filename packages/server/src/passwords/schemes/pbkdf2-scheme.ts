import { serialize } from '@phc/format';
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { UnusableHashError } from '../../errors.js';
import { readPhc, within, type HashScheme } from './hash-scheme.js';

const derive = promisify(pbkdf2);
const DIGESTS = { sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' } as const;
type Digest = keyof typeof DIGESTS;

interface Pbkdf2Hash {
  digest: Digest;
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

// passlib: `$pbkdf2-sha256$29000$<ab64 salt>$<ab64 hash>` (`$pbkdf2$` is SHA-1); ab64 is base64 with . for +.
const PASSLIB = /^\$pbkdf2(?:-(sha256|sha512))?\$(\d+)\$([./A-Za-z0-9]+)\$([./A-Za-z0-9]+)$/;
// Django: `pbkdf2_sha256$600000$<salt text>$<base64 hash>`.
const DJANGO = /^pbkdf2_(sha1|sha256)\$(\d+)\$([^$]+)\$([A-Za-z0-9+/=]+)$/;
// Werkzeug: `pbkdf2:sha256:600000$<salt text>$<hex hash>`.
const WERKZEUG = /^pbkdf2:(sha1|sha256|sha512)(?::(\d+))?\$([^$]+)\$([0-9a-f]+)$/;
// PHC (what Tessera stores): `$pbkdf2-sha256$i=600000,l=32$<b64 salt>$<b64 hash>`.
const PHC = /^\$pbkdf2-(sha1|sha256|sha512)\$[a-z]=/;

const ab64 = (text: string) => Buffer.from(text.replaceAll('.', '+'), 'base64');

function fromText(text: string): Pbkdf2Hash | undefined {
  const passlib = PASSLIB.exec(text);
  if (passlib) {
    const [, digest = 'sha1', iterations, salt, hash] = passlib;
    return { digest: digest as Digest, iterations: Number(iterations), salt: ab64(salt!), hash: ab64(hash!) };
  }
  const django = DJANGO.exec(text);
  if (django) {
    const [, digest, iterations, salt, hash] = django;
    return { digest: digest as Digest, iterations: Number(iterations), salt: Buffer.from(salt!, 'utf8'), hash: Buffer.from(hash!, 'base64') };
  }
  const werkzeug = WERKZEUG.exec(text);
  if (werkzeug) {
    const [, digest, iterations, salt, hash] = werkzeug;
    if (iterations === undefined) throw new UnusableHashError('Werkzeug pbkdf2 hash does not say its iteration count');
    return { digest: digest as Digest, iterations: Number(iterations), salt: Buffer.from(salt!, 'utf8'), hash: Buffer.from(hash!, 'hex') };
  }
  if (PHC.test(text)) return fromPhc(text);
  if (/^(?:\$pbkdf2|pbkdf2[_:])/.test(text)) throw new UnusableHashError('pbkdf2 hash is not in a format Tessera reads (PHC, passlib, Django or Werkzeug)');
  return undefined;
}

function fromPhc(text: string): Pbkdf2Hash {
  const phc = readPhc(text, 'pbkdf2');
  const iterations = phc.params?.i ?? phc.params?.rounds;
  return { digest: phc.id.slice('pbkdf2-'.length) as Digest, iterations: Number(iterations), salt: phc.salt, hash: phc.hash };
}

function toPhc(value: Pbkdf2Hash): string {
  within(value.iterations, 1, 2_000_000, 'pbkdf2 iterations');
  within(value.hash.length, 16, 128, 'pbkdf2 hash length (bytes)');
  if (value.salt.length === 0) throw new UnusableHashError('pbkdf2 salt is empty');
  return serialize({ id: `pbkdf2-${value.digest}`, params: { i: value.iterations, l: value.hash.length }, salt: value.salt, hash: value.hash });
}

/** PBKDF2-HMAC (SHA-1, SHA-256, SHA-512) by node:crypto, stored as a PHC string. */
export const pbkdf2Scheme: HashScheme = {
  name: 'pbkdf2',
  read(text) {
    const value = fromText(text);
    return value && toPhc(value);
  },
  owns: (stored) => PHC.test(stored),
  async verify(stored, password) {
    const { digest, iterations, salt, hash } = fromPhc(stored);
    const derived = await derive(password, salt, iterations, hash.length, DIGESTS[digest]);
    return timingSafeEqual(derived, hash);
  },
};
