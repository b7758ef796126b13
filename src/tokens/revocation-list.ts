import type { Clock } from '../clock.js';
import type { RevokedAccessToken } from '../store/store.js';

/**
 * The access tokens revoked before their expiry, held in memory so checking one costs a map lookup,
 * never a database round trip. Each entry leaves when its token would have expired anyway; past
 * `capacity` (after dropping expired entries) the oldest revocations go first.
 */
export class RevocationList {
  private readonly entries = new Map<string, number>();
  /** Revocations dropped for lack of room; should stay 0 (it is a metric and a warning). */
  evicted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 1_000_000,
  ) {}

  add(revoked: Iterable<RevokedAccessToken>): void {
    const now = this.clock.now();
    for (const { jti, expiresAt } of revoked) {
      if (expiresAt <= now || this.entries.has(jti)) continue;
      if (this.entries.size >= this.capacity) this.makeRoom(now);
      this.entries.set(jti, expiresAt);
    }
  }

  has(jti: string): boolean {
    return this.entries.has(jti);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops entries whose tokens have expired. */
  sweep(now = this.clock.now()): void {
    for (const [jti, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(jti);
    }
  }

  private makeRoom(now: number): void {
    this.sweep(now);
    if (this.entries.size < this.capacity) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) {
      this.entries.delete(oldest.value);
      this.evicted += 1;
    }
  }
}
