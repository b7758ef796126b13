import { z } from 'zod';
import { TesseraError } from '../errors.js';

/** The longest address SMTP can carry (RFC 5321's 254-octet path, less the angle brackets). */
export const MAX_EMAIL_LENGTH = 254;

const emailAddress = z.email().max(MAX_EMAIL_LENGTH);

/**
 * An email address an operator or the user gives: trimmed, checked with zod's address rule, at most
 * 254 characters; `null` or `''` clears it. Anything else is a `400 invalid_request` saying why.
 */
export function parseEmailAddress(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  const parsed = emailAddress.safeParse(value.trim());
  if (!parsed.success) {
    throw new TesseraError('invalid_request', `email must be an email address of at most ${MAX_EMAIL_LENGTH} characters (or null to clear it)`);
  }
  return parsed.data;
}
