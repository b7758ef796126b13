import { describe, expect, it } from 'vitest';
import type { FamilyRecord, RefreshTokenRecord, RotationRequest } from '../../src/tokens/refresh-family.js';
import { decideRotation, successorNeeded, type RotationRows } from '../../src/tokens/rotation-rule.js';
import type { UserRecord } from '../../src/users/user.js';

const NOW = 1_000_000;
const user: UserRecord = { id: 'u1', username: 'ada', role: 'user', passwordHash: 'h', createdAt: 0, updatedAt: 0, disabledAt: null, email: null, emailVerifiedAt: null };
const family: FamilyRecord = {
  id: 'f1', userId: 'u1', createdAt: NOW - 60_000, lastUsedAt: NOW - 1000, ip: null, userAgent: null, revokedAt: null, revokeReason: null,
  serviceClientId: null, authTime: null,
};
const token: RefreshTokenRecord = {
  id: 't1', familyId: 'f1', userId: 'u1', tokenHash: 'hash', parentId: null, issuedAt: NOW - 1000, expiresAt: NOW + 60_000,
  rotatedAt: null, successorId: null,
};
const successor: RefreshTokenRecord = { ...token, id: 't2', tokenHash: 'hash2', parentId: 't1', issuedAt: NOW - 500 };
const rotatedToken: RefreshTokenRecord = { ...token, rotatedAt: NOW - 500, successorId: 't2' };
const request: RotationRequest = {
  tokenHash: 'hash', now: NOW, reuseIntervalMs: 2000, familyMaxAgeMs: 0,
  next: { id: 't3', tokenHash: 'hash3', issuedAt: NOW, expiresAt: NOW + 60_000 },
  access: { jti: 'a1', expiresAt: NOW + 900_000 },
  client: { ip: null, userAgent: null },
};
const rows = (changes: Partial<RotationRows> = {}): RotationRows => ({ token, family, user, successor: null, ...changes });

describe('the refresh rotation rule', () => {
  it('rotates a live, unused token of an enabled user', () => {
    expect(decideRotation(rows(), request)).toEqual({ action: 'rotate' });
  });

  it('refuses a token it does not know', () => {
    expect(decideRotation(rows({ token: null, family: null, user: null }), request)).toEqual({ action: 'refuse', status: 'unknown' });
  });

  it('refuses a token of a revoked family before looking at anything else', () => {
    const revoked = { ...family, revokedAt: NOW - 10, revokeReason: 'logout' };
    const expired = { ...rotatedToken, expiresAt: NOW - 1 };
    expect(decideRotation(rows({ family: revoked, token: expired, user: null }), request)).toEqual({ action: 'refuse', status: 'revoked' });
  });

  it('refuses an expired token, even one already rotated', () => {
    expect(decideRotation(rows({ token: { ...rotatedToken, expiresAt: NOW } }), request)).toEqual({ action: 'refuse', status: 'expired' });
  });

  it('refuses a token of a family older than REFRESH_FAMILY_MAX_AGE', () => {
    expect(decideRotation(rows(), { ...request, familyMaxAgeMs: 60_000 })).toEqual({ action: 'refuse', status: 'expired' });
    expect(decideRotation(rows(), { ...request, familyMaxAgeMs: 60_001 })).toEqual({ action: 'rotate' });
  });

  it('revokes the family of a disabled or deleted user', () => {
    const disabled = { ...user, disabledAt: NOW - 1 };
    expect(decideRotation(rows({ user: disabled }), request)).toEqual({ action: 'revoke_family', reason: 'user_disabled' });
    expect(decideRotation(rows({ user: null }), request)).toEqual({ action: 'revoke_family', reason: 'user_disabled' });
  });

  it('hands a racing client the unused successor within the reuse interval', () => {
    expect(decideRotation(rows({ token: rotatedToken, successor }), request)).toEqual({ action: 'replay', successor });
  });

  it('treats a replay as reuse once the successor has itself been used', () => {
    const used = { ...successor, rotatedAt: NOW - 100, successorId: 't3' };
    expect(decideRotation(rows({ token: rotatedToken, successor: used }), request)).toEqual({
      action: 'revoke_family',
      reason: 'reuse_detected',
    });
  });

  it('treats a replay after the reuse interval as reuse, and never replays with the interval at 0', () => {
    const late = { ...request, now: rotatedToken.rotatedAt! + 2001 };
    expect(decideRotation(rows({ token: rotatedToken, successor }), late)).toEqual({ action: 'revoke_family', reason: 'reuse_detected' });
    const off = { ...request, reuseIntervalMs: 0 };
    expect(decideRotation(rows({ token: rotatedToken, successor }), off)).toEqual({ action: 'revoke_family', reason: 'reuse_detected' });
  });

  it('asks for the successor only when a replay could be allowed', () => {
    expect(successorNeeded(token, request)).toBe(false);
    expect(successorNeeded(rotatedToken, request)).toBe(true);
    expect(successorNeeded(rotatedToken, { ...request, reuseIntervalMs: 0 })).toBe(false);
    expect(successorNeeded(rotatedToken, { ...request, now: NOW + 2000 })).toBe(false);
  });
});
