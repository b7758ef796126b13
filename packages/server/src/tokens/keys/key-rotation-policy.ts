import type { SigningAlgorithm } from '../../config.js';
import type { KeyUse, SigningKeyRecord } from '../../tokens/signing-key.js';

/** Refresh tokens are only ever verified by this server, with the secret itself. */
export const REFRESH_ALGORITHM = 'HS256';
/** Margin after the last token a retired key signed has expired, for clock differences between instances. */
export const RETIREMENT_MARGIN_MS = 60_000;

/** The longest lifetime of what each kind of key signs: a rotated-out key verifies that long. */
export interface KeyLifetimes {
  accessMs: number;
  refreshMs: number;
}

/** What a managing instance does at start with the stored keys of one use. */
export type StartupAction =
  | { kind: 'create' }
  | { kind: 'switch-algorithm'; current: SigningKeyRecord; to: string }
  | { kind: 'keep'; current: SigningKeyRecord };

/** The algorithm a new key of `use` gets: JWT_ALGORITHM for access keys, HS256 for refresh keys. */
export function algorithmFor(use: KeyUse, configured: SigningAlgorithm): string {
  return use === 'access' ? configured : REFRESH_ALGORITHM;
}

/** The active (signing) key of `use` among the stored ones, if any. */
export function activeKey(records: readonly SigningKeyRecord[], use: KeyUse): SigningKeyRecord | undefined {
  return records.find((r) => r.use === use && r.rotatedOutAt === null);
}

/** No key yet: create one; JWT_ALGORITHM changed: rotate to a key of the new one; else keep the key. */
export function startupAction(records: readonly SigningKeyRecord[], use: KeyUse, configured: SigningAlgorithm): StartupAction {
  const current = activeKey(records, use);
  if (!current) return { kind: 'create' };
  const wanted = algorithmFor(use, configured);
  return current.alg === wanted ? { kind: 'keep', current } : { kind: 'switch-algorithm', current, to: wanted };
}

/**
 * When a key rotated out at `now` stops verifying: once the last thing it signed has expired (plus a
 * margin for clocks), or at once for a leaked key being revoked (`retireNow`).
 */
export function retirementTime(use: KeyUse, now: number, lifetimes: KeyLifetimes, { retireNow = false } = {}): number {
  if (retireNow) return now;
  return now + (use === 'access' ? lifetimes.accessMs : lifetimes.refreshMs) + RETIREMENT_MARGIN_MS;
}

/** Whether a stored key may still verify anything: not past its retirement, not revoked. */
export function stillVerifies(record: SigningKeyRecord, now: number, revoked: (kid: string) => boolean): boolean {
  return (record.expiresAt === null || record.expiresAt > now) && !revoked(record.kid);
}
