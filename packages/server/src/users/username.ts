import { SERVICE_ROLE } from '@tessera/contract';

/** Usernames compare case-insensitively: they are stored and looked up in this form. */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@+-]{0,63}$/;
const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * A role a user may hold: free-form lowercase words, but never `service`, which only a service's own
 * token (client credentials) carries. A user holding it would pass for a service wherever the role
 * alone is read: introspection, forward auth's `X-Auth-Request-Role`, an API checking `role`.
 */
export const isUserRole = (role: string): boolean => ROLE_PATTERN.test(role) && role !== SERVICE_ROLE;

/** What `isUserRole` asks, said to whoever sent a role that breaks it. */
export const USER_ROLE_RULE = `role must be 1–32 lowercase letters, digits, _ or -, starting with a letter, and not "${SERVICE_ROLE}" (the role of services' own tokens)`;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
