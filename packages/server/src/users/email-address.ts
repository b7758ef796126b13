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
  const address = checkEmailAddress(value);
  if (address === undefined) {
    throw new TesseraError('invalid_request', `email must be an email address of at most ${MAX_EMAIL_LENGTH} characters (or null to clear it)`);
  }
  return address;
}

/**
 * The same rule for addresses other systems hand over (an import, the old app's answer): the trimmed
 * address, or undefined when it is not one address (`victim,attacker@evil.example` is not).
 */
export function checkEmailAddress(value: string): string | undefined {
  const parsed = emailAddress.safeParse(value.trim());
  return parsed.success ? parsed.data : undefined;
}
