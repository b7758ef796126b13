import type { FamilyRecord, RefreshTokenRecord, RotationRequest } from './store.js';

/** Whether a token rotated at `rotatedAt` may still be presented for its successor (0 = never). */
export function withinReuseInterval(rotatedAt: number, request: RotationRequest): boolean {
  return request.reuseIntervalMs > 0 && request.now - rotatedAt <= request.reuseIntervalMs;
}

/**
 * Supabase's "immediate parent" rule: a replay within the interval is a racing client only while the
 * successor it would receive is itself still unused. Anything older is a copied token.
 */
export function mayReplay(successor: RefreshTokenRecord | null): successor is RefreshTokenRecord {
  return successor !== null && successor.rotatedAt === null;
}

/** REFRESH_FAMILY_MAX_AGE: a family ends this long after its login, however often it is refreshed. */
export function familyTooOld(family: FamilyRecord, request: RotationRequest): boolean {
  const maxAge = request.familyMaxAgeMs ?? 0;
  return maxAge > 0 && request.now - family.createdAt >= maxAge;
}
