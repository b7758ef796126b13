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
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly capacity = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): T | undefined {
    const entry = this.entries.get(token.slice(-KEY_LENGTH));
    return entry?.token === token ? entry.claims : undefined;
  }

  set(token: string, claims: T, now: number): void {
    for (const [oldest, kept] of this.entries) {
      if (kept.claims.exp * 1000 > now && this.entries.size < this.capacity) break;
      this.entries.delete(oldest);
    }
    this.entries.set(token.slice(-KEY_LENGTH), { token, claims });
  }
}
