import { argon2Scheme } from './schemes/argon2-scheme.js';
import { bcryptScheme } from './schemes/bcrypt-scheme.js';
import { UnusableHashError } from '../errors.js';
import type { HashScheme, HashSchemeName } from './schemes/hash-scheme.js';
import { pbkdf2Scheme } from './schemes/pbkdf2-scheme.js';
import { scryptScheme } from './schemes/scrypt-scheme.js';

export type { HashSchemeName } from './schemes/hash-scheme.js';

/** Every format a password hash can be imported in. Tessera's own hashes are argon2id (the argon2 scheme). */
const SCHEMES: readonly HashScheme[] = [argon2Scheme, bcryptScheme, scryptScheme, pbkdf2Scheme];

export interface ReadHash {
  scheme: HashSchemeName;
  /** The form Tessera stores and verifies. */
  stored: string;
}

/**
 * Reads a password hash exported from another system (bcrypt, argon2, scrypt, PBKDF2 in PHC, passlib,
 * Django or Werkzeug encodings). Throws `UnusableHashError` saying why when it cannot be taken over.
 */
export function readImportedHash(text: string): ReadHash {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new UnusableHashError('password hash is empty');
  if (trimmed.length > 1024) throw new UnusableHashError('password hash is longer than 1024 characters');
  for (const scheme of SCHEMES) {
    const stored = scheme.read(trimmed);
    if (stored !== undefined) return { scheme: scheme.name, stored };
  }
  throw new UnusableHashError('password hash is not bcrypt, argon2, scrypt or PBKDF2 in a format Tessera reads');
}

/** The scheme of a stored hash; undefined for something no scheme owns. */
export function schemeOf(stored: string): HashScheme | undefined {
  return SCHEMES.find((scheme) => scheme.owns(stored));
}

/** Checks a password against a stored hash of any scheme; an unrecognised or unparsable hash never matches. */
export async function verifyStoredHash(stored: string, password: string): Promise<boolean> {
  const scheme = schemeOf(stored);
  if (!scheme) return false;
  return scheme.verify(stored, password).catch(() => false);
}
