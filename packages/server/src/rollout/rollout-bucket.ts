import { createHash } from 'node:crypto';

/**
 * The user's place in the JWT rollout, 0–99: the first four bytes of SHA-256(user id), big-endian,
 * modulo 100. It depends on nothing but the id, so every instance gives the same answer every day, and
 * raising the percentage only ever adds users (those below 10 are also below 50).
 */
export function rolloutBucket(userId: string): number {
  return createHash('sha256').update(userId, 'utf8').digest().readUInt32BE(0) % 100;
}
