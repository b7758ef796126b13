import { TesseraError } from '@tessera/contract';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWK } from 'jose';
import { unusableKeyReason, type KeyLookup, type VerificationKey } from './access-token-verifier.js';

export interface RemoteKeysOptions {
  /** The issuer's JWKS document (`jwks_uri`). */
  jwksUri: string;
  /** A `kid` that a fetch made after it was presented did not find is refused without fetching again for this long (ms). */
  cooldownMs?: number;
  /** The document is fetched at most once per this interval (ms), whatever tokens arrive. */
  minIntervalMs?: number;
  /** Keys fetched are trusted for at most this long (ms): then the document is fetched again before they are used. */
  maxAgeMs?: number;
  /** A fetch of the document that has not answered within this (ms) has failed. */
  timeoutMs?: number;
}

export const JWKS_DEFAULTS = { cooldownMs: 30_000, minIntervalMs: 1_000, maxAgeMs: 10 * 60_000, timeoutMs: 5_000 } as const;

/** The unknown `kid`s remembered at most (the oldest go first): a flood of junk kids costs bounded memory. */
const MAX_MISSES = 1_024;

/** Members only a private or secret JWK has: a key set that carries one is publishing what it must not. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'] as const;

export type RemoteKeys = KeyLookup & {
  /** Fetches the document now (or waits for the fetch under way); rejects with 503 `temporarily_unavailable` if it cannot. */
  refresh(): Promise<void>;
};

/**
 * The issuer's public keys, fetched from its JWKS with jose (timeout, no redirects, the document's
 * shape checked) and imported once per `kid` through jose's key-set rules (public keys only, the
 * `alg`, `use` and `key_ops` the JWK states). A key is used only with the algorithm its JWK names: a
 * JWK without `alg` verifies nothing, nor does a secret (`oct`, HS256…), a private key, or an RSA key
 * under 2048 bits (`unusableKeyReason`). A kid listed twice verifies nothing either.
 *
 * When the document is fetched:
 * - before the first verification (a failure is a 503 `temporarily_unavailable`, tried again at most
 *   once per `minIntervalMs`);
 * - once the keys are `maxAgeMs` old, before the next verification: a key that left the document is
 *   refused from then on. If that fetch fails, the keys held are kept (an outage of the issuer does not
 *   become one of the service) and the fetch is tried again in the background;
 * - for a `kid` not seen before: the verification waits for a fetch that starts after it arrived, at
 *   most `minIntervalMs` after the previous one. A kid still unknown after it is refused without
 *   another fetch for `cooldownMs`; any other new kid still gets its fetch. So a rotated-in key is
 *   found within about `minIntervalMs`, whatever junk kids anyone sends, and the document is fetched
 *   at most once per `minIntervalMs`, one fetch at a time.
 */
export function remoteKeys(options: RemoteKeysOptions): RemoteKeys {
  const keys = new RemoteKeySet(options);
  return Object.assign((kid: string) => keys.lookup(kid), { refresh: () => keys.refresh() });
}

/** Each `kid` of the last document: the JWK as fetched, and its key (undefined: it never verifies). */
type HeldKeys = Map<string, { jwk: string; key: Promise<VerificationKey | undefined> }>;

/** A monotonic clock (ms): the wall clock may jump. */
const clock = (): number => performance.now();

class RemoteKeySet {
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;
  private readonly origin: string;
  private readonly cooldownMs: number;
  private readonly minIntervalMs: number;
  private readonly maxAgeMs: number;
  private keys: HeldKeys = new Map();
  /** When the fetch that gave the keys held began; undefined until one succeeded. */
  private fetchedAt: number | undefined;
  private lastAttemptAt = -Infinity;
  /** Why the last fetch failed; undefined once one succeeds. */
  private lastFailure: TesseraError | undefined;
  /** When that failed fetch began. */
  private lastFailureAt = -Infinity;
  private inFlight: Promise<void> | undefined;
  /** The next fetch, not begun yet: every verification waiting for one that starts after it arrived. */
  private queued: Promise<void> | undefined;
  /** Unknown kids, with when a fetch last failed to find each, oldest first. */
  private readonly misses = new Map<string, number>();

  constructor({ jwksUri, ...options }: RemoteKeysOptions) {
    const url = new URL(jwksUri);
    this.origin = url.origin;
    this.cooldownMs = options.cooldownMs ?? JWKS_DEFAULTS.cooldownMs;
    this.minIntervalMs = options.minIntervalMs ?? JWKS_DEFAULTS.minIntervalMs;
    this.maxAgeMs = options.maxAgeMs ?? JWKS_DEFAULTS.maxAgeMs;
    // Only jose's fetching is used (reload, jwks): when to fetch is decided here.
    this.remote = createRemoteJWKSet(url, { timeoutDuration: options.timeoutMs ?? JWKS_DEFAULTS.timeoutMs });
  }

  async lookup(kid: string): Promise<VerificationKey | undefined> {
    if (this.fetchedAt === undefined) await this.firstFetch();
    else if (clock() - this.fetchedAt >= this.maxAgeMs) await this.renew();
    const known = this.keys.get(kid);
    if (known) return known.key;
    const missed = this.misses.get(kid);
    if (missed !== undefined && clock() - missed < this.cooldownMs) return undefined;
    // A kid not seen before, maybe a key rotated in: fetch again, unless the issuer just failed to answer.
    this.failFast();
    await this.fetchSoon();
    const found = this.keys.get(kid);
    if (found) return found.key;
    this.noteMiss(kid);
    return undefined;
  }

  refresh(): Promise<void> {
    return this.inFlight ?? this.fetch();
  }

  /** No keys yet: wait for them (joining a fetch under way). */
  private async firstFetch(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.failFast();
    return this.fetchSoon();
  }

  /** The keys held are too old to trust: fetch them again, keeping them if the issuer cannot answer. */
  private async renew(): Promise<void> {
    const fetched = this.fetchSoon();
    // Once a renewal (a fetch begun after the keys went stale) has failed, verifications use the keys
    // held instead of waiting for each attempt in turn; an older failure (a kid looked up while the keys
    // were fresh) does not count: the first renewal is always waited for.
    if (this.lastFailure && this.lastFailureAt >= this.fetchedAt! + this.maxAgeMs) return void fetched.catch(() => undefined);
    await fetched.catch(() => undefined);
  }

  /** Between a failed fetch and the next attempt, a verification needing one is refused at once (503). */
  private failFast(): void {
    if (this.lastFailure && !this.queued && !this.inFlight && clock() - this.lastAttemptAt < this.minIntervalMs) throw this.lastFailure;
  }

  /** A fetch that starts after now: the one queued, or a new one, once `minIntervalMs` has passed since the last began. */
  private fetchSoon(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.inFlight && clock() - this.lastAttemptAt >= this.minIntervalMs) return this.fetch();
    // `then` runs later, so `queued` is set before it is cleared.
    const queued = this.turn().then(() => {
      this.queued = undefined;
      return this.fetch();
    });
    this.queued = queued;
    return queued;
  }

  /** Resolves once no fetch is under way and the last began `minIntervalMs` ago. */
  private async turn(): Promise<void> {
    for (;;) {
      if (this.inFlight) {
        await this.inFlight.catch(() => undefined);
        continue;
      }
      const wait = this.lastAttemptAt + this.minIntervalMs - clock();
      if (wait <= 0) return;
      await delay(wait);
    }
  }

  private fetch(): Promise<void> {
    const startedAt = clock();
    this.lastAttemptAt = startedAt;
    const attempt: Promise<void> = this.load(startedAt).finally(() => {
      if (this.inFlight === attempt) this.inFlight = undefined;
    });
    this.inFlight = attempt;
    return attempt;
  }

  private async load(startedAt: number): Promise<void> {
    try {
      await this.remote.reload();
      this.rebuild(this.remote.jwks());
    } catch (error) {
      // Unreachable, timed out, not 200, not a key set: the keys cannot be known right now.
      this.lastFailureAt = startedAt;
      this.lastFailure = new TesseraError('temporarily_unavailable', `Tessera's keys cannot be fetched from ${this.origin} right now; retry shortly`, { cause: error });
      throw this.lastFailure;
    }
    this.fetchedAt = startedAt;
    this.lastFailure = undefined;
  }

  private rebuild(document: JSONWebKeySet | undefined): void {
    const listed = document?.keys ?? [];
    const local = createLocalJWKSet({ keys: listed });
    const counts = new Map<string, number>();
    for (const jwk of listed) if (typeof jwk.kid === 'string') counts.set(jwk.kid, (counts.get(jwk.kid) ?? 0) + 1);
    const next: HeldKeys = new Map();
    for (const jwk of listed) {
      if (typeof jwk.kid !== 'string' || next.has(jwk.kid)) continue;
      const json = JSON.stringify(jwk);
      const held = this.keys.get(jwk.kid);
      const ambiguous = (counts.get(jwk.kid) ?? 0) > 1;
      next.set(jwk.kid, held && held.jwk === json && !ambiguous ? held : { jwk: json, key: ambiguous ? Promise.resolve(undefined) : importKey(jwk, local) });
      this.misses.delete(jwk.kid);
    }
    // A key that left the document was just fetched for and found missing: no need to fetch for it again.
    for (const kid of this.keys.keys()) if (!next.has(kid)) this.noteMiss(kid);
    this.keys = next;
  }

  private noteMiss(kid: string): void {
    const now = clock();
    this.misses.delete(kid);
    for (const [oldest, at] of this.misses) {
      if (now - at < this.cooldownMs && this.misses.size < MAX_MISSES) break;
      this.misses.delete(oldest);
    }
    this.misses.set(kid, now);
  }
}

/** The verification key a JWK gives, or undefined when it must never verify a token. */
async function importKey(jwk: JWK, local: ReturnType<typeof createLocalJWKSet>): Promise<VerificationKey | undefined> {
  const { alg, kty, use } = jwk;
  if (typeof alg !== 'string' || kty === 'oct' || alg.startsWith('HS') || (use !== undefined && use !== 'sig')) return undefined;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return undefined;
  try {
    // jose's own key-set rules choose and import the key: public only, of the type `alg` needs.
    const key: VerificationKey = { alg, key: await local({ alg, kid: jwk.kid }) };
    return unusableKeyReason(key) === undefined ? key : undefined;
  } catch {
    return undefined;
  }
}
