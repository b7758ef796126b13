import { describe, expect, it } from 'vitest';
import { newTokenId } from '../../src/tokens/token-id.js';

describe('token ids', () => {
  it('are 16 random bytes in base64url, and none comes twice however many are drawn', () => {
    const ids = Array.from({ length: 2_000 }, () => newTokenId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => Buffer.from(id, 'base64url').length))).toEqual(new Set([16]));
  });
});
