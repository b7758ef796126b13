import { describe, expect, it } from 'vitest';
import type { SigningKeyRecord } from '../../../src/tokens/signing-key.js';
import { retirementTime, startupAction, stillVerifies } from '../../../src/tokens/keys/key-rotation-policy.js';

const key = (overrides: Partial<SigningKeyRecord>): SigningKeyRecord => ({
  kid: 'k1',
  use: 'access',
  alg: 'RS256',
  publicJwk: '{}',
  sealedKey: 'v1.x',
  createdAt: 0,
  rotatedOutAt: null,
  expiresAt: null,
  ...overrides,
});
const lifetimes = { accessMs: 900_000, refreshMs: 604_800_000 };

describe('the key rotation policy', () => {
  it('creates a key when none of that use is active', () => {
    expect(startupAction([], 'access', 'RS256')).toEqual({ kind: 'create' });
    expect(startupAction([key({ rotatedOutAt: 5, expiresAt: 10 })], 'access', 'RS256')).toEqual({ kind: 'create' });
    expect(startupAction([key({})], 'refresh', 'RS256')).toEqual({ kind: 'create' });
  });

  it('keeps the active key of the configured algorithm, and switches when JWT_ALGORITHM changed', () => {
    const current = key({});
    expect(startupAction([current], 'access', 'RS256')).toEqual({ kind: 'keep', current });
    expect(startupAction([current], 'access', 'ES256')).toEqual({ kind: 'switch-algorithm', current, to: 'ES256' });
  });

  it('never switches a refresh key away from HS256, whatever JWT_ALGORITHM says', () => {
    const current = key({ use: 'refresh', alg: 'HS256', publicJwk: null });
    expect(startupAction([current], 'refresh', 'EdDSA')).toEqual({ kind: 'keep', current });
  });

  it('retires a rotated-out key once what it signed has expired, plus a minute for clocks; a revoked one at once', () => {
    expect(retirementTime('access', 1_000, lifetimes)).toBe(1_000 + 900_000 + 60_000);
    expect(retirementTime('refresh', 1_000, lifetimes)).toBe(1_000 + 604_800_000 + 60_000);
    expect(retirementTime('access', 1_000, lifetimes, { retireNow: true })).toBe(1_000);
  });

  it('lets a key verify until its retirement, and never once revoked', () => {
    const none = () => false;
    expect(stillVerifies(key({ expiresAt: null }), 5, none)).toBe(true);
    expect(stillVerifies(key({ expiresAt: 6 }), 5, none)).toBe(true);
    expect(stillVerifies(key({ expiresAt: 5 }), 5, none)).toBe(false);
    expect(stillVerifies(key({}), 5, (kid) => kid === 'k1')).toBe(false);
  });
});
