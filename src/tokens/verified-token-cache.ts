/**
 * Remembers access tokens whose signature and claims were already verified, keyed by the exact token
 * string, so a token presented again costs a map lookup instead of a signature check. Expiry and
 * revocation are still checked on every use by the caller; entries past `capacity` are dropped oldest
 * first.
 */
export class VerifiedTokenCache<T extends { exp: number }> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity = 100_000) {}

  get(token: string): T | undefined {
    return this.entries.get(token);
  }

  set(token: string, claims: T): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, claims);
  }
}
