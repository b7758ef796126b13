import type { Clock } from '../clock.js';
import type { RevokedAccessToken } from '../tokens/revoked-access-token.js';

/** What memory says about a jti: `unknown` means ask the store, which knows every revocation. */
export type RevocationStatus = 'revoked' | 'not_revoked' | 'unknown';

/**
 * The access tokens revoked before their expiry, held in memory so checking one costs a map lookup,
 * never a database round trip. An entry leaves only when its token would have expired anyway, so what
 * it holds is bounded by what can exist: revocations of tokens issued within the last TOKEN_EXPIRY.
 * It never forgets a revocation to make room: past `capacity` a new revocation is not kept, and until
 * that token expires the list answers `unknown` for every jti it does not hold, so callers check the
 * store instead of accepting a token that may have been revoked.
 */
export class RevocationList {
  private readonly entries = new Map<string, number>();
  /** Epoch ms until which a revoked, unexpired token may be missing from `entries`. */
  private incompleteUntil = 0;
  /** Revocations not kept in memory for lack of room (checked in the store instead); a metric. */
  evicted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 1_000_000,
  ) {}

  add(revoked: Iterable<RevokedAccessToken>): void {
    const now = this.clock.now();
    for (const { jti, expiresAt } of revoked) {
      if (expiresAt <= now || this.entries.has(jti)) continue;
      if (this.entries.size >= this.capacity) this.sweepAll(now);
      if (this.entries.size >= this.capacity) {
        this.evicted += 1;
        this.incompleteUntil = Math.max(this.incompleteUntil, expiresAt);
        continue;
      }
      this.entries.set(jti, expiresAt);
    }
  }

  status(jti: string): RevocationStatus {
    if (this.entries.has(jti)) return 'revoked';
    return this.clock.now() < this.incompleteUntil ? 'unknown' : 'not_revoked';
  }

  /** Whether memory holds this revocation; `status` is the answer to act on. */
  has(jti: string): boolean {
    return this.entries.has(jti);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Drops expired entries from the front, where the oldest revocations are, up to the first live one:
   * cheap enough to run every poll with a million entries. An entry behind a live one waits at most
   * one more TOKEN_EXPIRY; a full sweep runs only when the list is full.
   */
  sweep(now = this.clock.now()): void {
    for (const [jti, expiresAt] of this.entries) {
      if (expiresAt > now) return;
      this.entries.delete(jti);
    }
  }

  private sweepAll(now: number): void {
    for (const [jti, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(jti);
    }
  }
}
