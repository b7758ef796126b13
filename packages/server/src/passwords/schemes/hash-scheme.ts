import { deserialize } from '@phc/format';
import { UnusableHashError } from '../../errors.js';

/**
 * A password-hash format Tessera can take over from another system. `read` recognises the format in
 * the encoding a team exports it in and returns the one form Tessera stores (or undefined when the text
 * is not of this scheme); `verify` checks a password against that stored form. Parsing is done by the
 * format's own library where one exists; the primitives are always a library's or node:crypto's.
 */
export interface HashScheme {
  readonly name: HashSchemeName;
  read(text: string): string | undefined;
  /** Whether `stored` (a string `read` returned) is of this scheme. */
  owns(stored: string): boolean;
  verify(stored: string, password: string): Promise<boolean>;
}

export type HashSchemeName = 'argon2' | 'bcrypt' | 'scrypt' | 'pbkdf2';


/*
 * Every scheme bounds the work of one check of an imported hash at about 1–3 s of one core on a 2-core
 * machine of 2026 (bcrypt cost 14, PBKDF2 at 2 million iterations, scrypt through 512 MiB, argon2 through
 * 1 GiB): every check, a wrong guess included, holds one of the few hashing slots that long, so a handful
 * of logins could otherwise hold them all. A hash above its bound is refused at import, saying why.
 */

/** Throws `UnusableHashError` unless `value` is a whole number within [min, max]. */
export function within(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UnusableHashError(`${what} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A PHC string (`$id$params$salt$hash`) read by @phc/format, with its salt and hash; `UnusableHashError` saying what is wrong otherwise. */
export function readPhc(text: string, scheme: HashSchemeName): ReturnType<typeof deserialize> & { salt: Buffer; hash: Buffer } {
  let phc: ReturnType<typeof deserialize>;
  try {
    phc = deserialize(text);
  } catch {
    throw new UnusableHashError(`${scheme} hash is not a valid PHC string`);
  }
  if (!phc.salt || !phc.hash) throw new UnusableHashError(`${scheme} hash lacks its salt or hash`);
  return phc as ReturnType<typeof deserialize> & { salt: Buffer; hash: Buffer };
}
