import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rolloutBucket } from '../../src/rollout/rollout-bucket.js';

describe('rolloutBucket', () => {
  it('is the first four bytes of SHA-256 of the user id, big-endian, modulo 100', () => {
    // Computed independently (Python: int.from_bytes(sha256(id).digest()[:4], "big") % 100).
    expect(rolloutBucket('user-1')).toBe(52);
    expect(rolloutBucket('3b1d7c2e-0000-4000-8000-000000000000')).toBe(85);
    expect(rolloutBucket('alice')).toBe(1);
  });

  it('gives the same bucket every time, from the id alone', () => {
    const id = crypto.randomUUID();
    const expected = createHash('sha256').update(id).digest().readUInt32BE(0) % 100;
    expect([rolloutBucket(id), rolloutBucket(id), rolloutBucket(id)]).toEqual([expected, expected, expected]);
  });

  it('spreads ids over all 100 buckets', () => {
    const seen = new Set(Array.from({ length: 5000 }, (_, i) => rolloutBucket(`user-${i}`)));
    expect(seen.size).toBe(100);
  });
});
