import { CLOCK_LEEWAY_SECONDS, type AccessClaims, type RevocationFeedData } from '@tessera/contract';

export interface RevocationStateOptions {
  /** The issuer's TOKEN_EXPIRY (seconds, default 900): how long a `not_before` can still refuse a live token. */
  maxTokenLifetime?: number;
}

/**
 * What the revocation feed has said, held in memory so a check is a few map lookups: revoked `jti`s
 * (until their tokens expire), each user's and everyone's `not_before` (until every token issued before
 * it has expired), revoked keys.
 */
export class RevocationState {
  private tokens = new Map<string, number>();
  private users = new Map<string, number>();
  private everyone = 0;
  private keys = new Set<string>();
  /**
   * A token issued before `not_before` expires before `not_before` + this: its lifetime is at most the
   * issuer's, plus the clock leeway the verifier allows on it. Older instants refuse nothing live.
   */
  private readonly instantsMatterSeconds: number;

  constructor({ maxTokenLifetime = 900 }: RevocationStateOptions = {}) {
    this.instantsMatterSeconds = maxTokenLifetime + CLOCK_LEEWAY_SECONDS;
  }

  /** A snapshot: what it says replaces everything held. */
  replace(data: RevocationFeedData, nowSeconds: number): void {
    this.tokens = new Map();
    this.users = new Map();
    this.everyone = 0;
    this.keys = new Set();
    this.add(data, nowSeconds);
  }

  /** An update: added to what is held (instants only move forward). */
  add(data: RevocationFeedData, nowSeconds: number): void {
    for (const { jti, exp } of data.tokens ?? []) if (exp > nowSeconds) this.tokens.set(jti, exp);
    for (const { sub, not_before } of data.users ?? []) this.users.set(sub, Math.max(this.users.get(sub) ?? 0, not_before));
    if (data.not_before_all !== undefined) this.everyone = Math.max(this.everyone, data.not_before_all);
    for (const kid of data.keys ?? []) this.keys.add(kid);
    this.sweep(nowSeconds);
  }

  /** Whether the feed refuses this token. */
  refuses(claims: Pick<AccessClaims, 'jti' | 'sub' | 'iat' | 'kid'>): boolean {
    if (this.tokens.has(claims.jti) || this.keys.has(claims.kid)) return true;
    return claims.iat < Math.max(this.everyone, this.users.get(claims.sub) ?? 0);
  }

  get size(): number {
    return this.tokens.size + this.users.size + this.keys.size;
  }

  /**
   * Drops revoked tokens that have expired anyway, oldest first (insertion order is close to expiry
   * order), and `not_before` instants older than any live token.
   */
  private sweep(nowSeconds: number): void {
    const oldest = nowSeconds - this.instantsMatterSeconds;
    for (const [sub, notBefore] of this.users) if (notBefore <= oldest) this.users.delete(sub);
    if (this.everyone <= oldest) this.everyone = 0;
    for (const [jti, exp] of this.tokens) {
      if (exp > nowSeconds) return;
      this.tokens.delete(jti);
    }
  }
}
