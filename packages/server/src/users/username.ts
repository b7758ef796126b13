/** Usernames compare case-insensitively: they are stored and looked up in this form. */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@+-]{0,63}$/;
export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
