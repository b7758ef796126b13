import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { SealError } from '../errors.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

// scrypt at N=2^15 makes guessing a weak JWT_SECRET from a stolen database slow; it runs once per key.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const VERSION = 'v1';

export { SealError };

/**
 * Seals secrets (our private signing keys) with AES-256-GCM under a key derived from JWT_SECRET.
 * Format: `v1.<salt>.<iv>.<tag>.<ciphertext>`, base64url parts. A wrong secret fails authentication.
 */
export class SecretBox {
  private readonly derived = new Map<string, Promise<Buffer>>();

  constructor(private readonly secret: string) {}

  async seal(plaintext: string): Promise<string> {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.key(salt), iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, salt, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  async open(sealed: string): Promise<string> {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SealError('unrecognised sealed-key format');
    const [salt, iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.key(salt), iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError('the secret does not open this sealed key');
    }
  }

  private key(salt: Buffer): Promise<Buffer> {
    const id = salt.toString('base64url');
    let key = this.derived.get(id);
    if (!key) {
      key = scryptAsync(this.secret, salt, 32, SCRYPT);
      this.derived.set(id, key);
    }
    return key;
  }
}
