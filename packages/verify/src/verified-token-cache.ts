/** Characters from the end of a token (its signature) that key the map: hashing them is cheaper than the whole token. */
const KEY_LENGTH = 24;

interface Entry<T> {
  token: string;
  claims: T;
}

/**
 * Remembers access tokens whose signature and claims were already verified, so a token presented again
 * costs a map lookup instead of a signature check. Entries are found by the end of the token's
 * signature and then compared with the whole token, so only the exact token verified before gets its
 * claims. Expiry and revocation are still checked on every use by the caller. Memory stays bounded by
 * what is still valid: tokens are kept in the order they were first verified (close to the order they
 * expire), and each insertion first drops the expired ones at the front; past `capacity`, the oldest
 * go too.
 */
export class VerifiedTokenCache<T extends { exp: number }> {
  /** A verified token, or (`admit`) the expiry of a token verified once, under the end of its signature. */
  private readonly entries = new Map<string, Entry<T> | number>();

  constructor(private readonly capacity = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): T | undefined {
    const entry = this.entries.get(token.slice(-KEY_LENGTH));
    return typeof entry === 'object' && entry.token === token ? entry.claims : undefined;
  }

  /** Remembers a verified token and its claims. */
  set(token: string, claims: T, now: number): void {
    this.dropExpired(now);
    this.entries.set(token.slice(-KEY_LENGTH), { token, claims });
  }

  /**
   * Remembers a token verified just now the second time it is verified: the first time, only a few
   * bytes saying it was seen. A token presented once (a client that makes one call with it) then costs
   * no memory beyond those bytes, where keeping it costs about a kilobyte until it expires; a token
   * used again costs one more signature check, once.
   */
  admit(token: string, claims: T, now: number): void {
    const key = token.slice(-KEY_LENGTH);
    if (this.entries.has(key)) {
      this.entries.set(key, { token, claims });
      return;
    }
    this.dropExpired(now);
    // A copy: the slice would keep the whole token alive.
    this.entries.set(Buffer.from(key, 'latin1').toString('latin1'), claims.exp);
  }

  private dropExpired(now: number): void {
    for (const [oldest, kept] of this.entries) {
      const exp = typeof kept === 'number' ? kept : kept.claims.exp;
      if (exp * 1000 > now && this.entries.size < this.capacity) break;
      this.entries.delete(oldest);
    }
  }
}
