import { InvalidTokenError, TesseraError, type AccessClaims } from '@tessera/contract';
import { verifyAccessToken, type KeyLookup, type VerificationKey } from './access-token-verifier.js';
import { discoverEndpoints, feedBesideJwks, type IssuerEndpoints } from './discovery.js';
import { FeedSubscription, type FeedStatus } from './feed-subscription.js';
import { remoteKeys } from './remote-keys.js';
import { RevocationState } from './revocation-state.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** What to do while the revocation feed is unreachable. */
export type FeedDownPolicy =
  /** Keep verifying with the revocations known so far; catch up on reconnection (the default). */
  | 'verify-locally'
  /** Refuse every token (503 `temporarily_unavailable`) until the feed is back. */
  | 'refuse';

export interface VerifierOptions {
  /** Tessera's issuer: the `iss` of its tokens (its PUBLIC_URL). Discovery starts from it when it is a URL. */
  issuer: string;
  /** The audience this service accepts (`aud`): its own name, as Tessera issues it. */
  audience: string | string[];
  /** The JWKS URL; by default found through discovery. */
  jwksUri?: string;
  /** The revocation feed URL; by default found through discovery (or beside `jwksUri`). */
  feedUrl?: string;
  /**
   * How this service proves it may read the revocation feed: a bearer token with the `service` (or
   * `admin`) role, or a function returning one (called again after a 401). The function is given the
   * connection attempt's `AbortSignal`: pass it on to the request it makes, so that a token endpoint that
   * does not answer is given up with the attempt (after `feedConnectTimeoutMs`) instead of piling up
   * behind the retries. Without it there is no feed: tokens stay valid until they expire, up to
   * TOKEN_EXPIRY after a logout.
   */
  feedCredentials?: string | ((signal: AbortSignal) => string | Promise<string>);
  /** While the feed is down: `verify-locally` (default) or `refuse`. */
  onFeedDown?: FeedDownPolicy;
  /** The issuer's TOKEN_EXPIRY (seconds, default 900): tokens claiming a longer lifetime are refused, as Tessera does. */
  maxTokenLifetime?: number;
  /** Silence on the feed (ms) after which it is deemed down and reconnected; default 35 s, above two heartbeats. */
  feedSilenceMs?: number;
  /**
   * A connection to the feed that has not delivered its first event (the snapshot) within this (ms,
   * default 5 s) — no answer, or only heartbeats — has failed: it is dropped and tried again. The first
   * verifications wait for the feed at most this long; then `onFeedDown` applies until it is live.
   */
  feedConnectTimeoutMs?: number;
  /**
   * A token with a `kid` not seen before makes the verifier fetch the JWKS again; a kid still unknown
   * after that fetch is refused without fetching again for this long (ms, default 30 s).
   */
  jwksCooldownMs?: number;
  /**
   * The JWKS is fetched at most once per this interval (ms, default 1 s), whatever tokens arrive: a
   * token signed with a newly rotated key waits at most this long (and the fetch) to be verified.
   */
  jwksMinIntervalMs?: number;
  /**
   * How long fetched keys are trusted before the JWKS is fetched again (ms, default 10 min). Without
   * the feed, a key removed from the JWKS (revoked) keeps verifying tokens until then.
   */
  jwksMaxAgeMs?: number;
  /**
   * Discovery that fails (Tessera not up yet, unreachable) is tried again, the delay doubling from
   * 100 ms up to this (ms, default 10 s); verifications are refused with 503 until it succeeds.
   */
  discoveryRetryMaxMs?: number;
  /** The current time in ms; defaults to `Date.now`. */
  now?: () => number;
  /** Told when the feed connects, drops or comes back, with the reason. */
  onFeedStatus?: (status: FeedStatus, reason?: string) => void;
}

/** A token's identity, as handlers see it. */
export type Caller = AccessClaims;

export interface Verifier {
  /** Verifies an access token with Tessera's rules and the revocations heard; throws `InvalidTokenError` (or a 503 error while refusing). */
  verify(token: string): Promise<Caller>;
  /** Resolves once keys are located (after as many discovery attempts as it takes) and, with a feed, its first snapshot arrived (or its first attempt failed). */
  ready(): Promise<void>;
  /** The feed's status: `connecting`, `live`, `down` (`closed` after `close()`), or `off` without credentials. */
  readonly feedStatus: FeedStatus | 'off';
  close(): void;
}

const FEED_UNAVAILABLE = 'Revocations cannot be checked right now; retry shortly';

/**
 * A verifier for a Node service: finds Tessera's keys (and revocation feed) from the issuer, caches
 * keys (for `jwksMaxAgeMs`), re-fetches on an unknown `kid` (rate-limited: `remoteKeys`), and checks a
 * token exactly as Tessera does — algorithm from the key, `at+jwt`, issuer, audience, expiry, lifetime
 * bound — then against the revocations pushed by the feed, within a moment of a logout.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const policy = options.onFeedDown ?? 'verify-locally';
  const state = new RevocationState({ maxTokenLifetime: options.maxTokenLifetime ?? 900 });
  const cache = new VerifiedTokenCache<Caller>();
  /** The key that verified each cached token's claims. */
  const verifiedWith = new WeakMap<Caller, VerificationKey['key']>();
  /**
   * A token verified before is taken from the cache only while the key that verified it is still the
   * one its `kid` names: once a key leaves the JWKS (and the keys held are fetched again), even tokens
   * it verified earlier are checked again, and refused.
   */
  const stillHeld = async (getKey: KeyLookup, claims: Caller): Promise<boolean> => {
    const key = await getKey(claims.kid);
    return key !== undefined && verifiedWith.get(claims) === key.key;
  };
  let feed: FeedSubscription | undefined;
  let closed = false;

  const startFeed = (endpoints: IssuerEndpoints) => {
    const credentials = options.feedCredentials;
    if (credentials === undefined || closed) return;
    feed = new FeedSubscription({
      url: endpoints.feedUrl,
      credentials: async (signal) => (typeof credentials === 'string' ? credentials : await credentials(signal)),
      state,
      silenceMs: options.feedSilenceMs ?? 35_000,
      connectTimeoutMs: options.feedConnectTimeoutMs ?? 5_000,
      now,
      onStatus: options.onFeedStatus,
    });
    feed.start();
  };
  const keys = new KeysLocator(
    () => locate(options),
    (endpoints) => {
      startFeed(endpoints);
      return remoteKeys({
        jwksUri: endpoints.jwksUri,
        cooldownMs: options.jwksCooldownMs,
        minIntervalMs: options.jwksMinIntervalMs,
        maxAgeMs: options.jwksMaxAgeMs,
      });
    },
    options.discoveryRetryMaxMs ?? 10_000,
  );

  const rules = {
    issuer: options.issuer,
    audience: options.audience,
    maxLifetimeSeconds: options.maxTokenLifetime ?? 900,
    now,
  };

  async function verify(token: string): Promise<Caller> {
    const getKey = await keys.current();
    if (feed && feed.status === 'connecting') await feed.settled;
    if (feed && feed.status !== 'live' && policy === 'refuse') throw new TesseraError('temporarily_unavailable', FEED_UNAVAILABLE);
    let claims = cache.get(token);
    if (!claims || claims.exp * 1000 <= now() || !(await stillHeld(getKey, claims))) {
      let used: VerificationKey | undefined;
      const verified = await verifyAccessToken(token, { ...rules, getKey: async (kid) => (used = await getKey(kid)) });
      if (used) verifiedWith.set(verified, used.key);
      cache.set(token, verified, now());
      claims = verified;
    }
    if (state.refuses(claims)) throw new InvalidTokenError('revoked');
    return claims;
  }

  return {
    verify,
    async ready() {
      await keys.located;
      await feed?.settled;
    },
    get feedStatus() {
      return feed?.status ?? (options.feedCredentials === undefined ? 'off' : 'connecting');
    },
    close() {
      closed = true;
      keys.close();
      feed?.close();
    },
  };
}

const KEYS_UNAVAILABLE = "Tessera's keys cannot be fetched right now; retry shortly";
const DISCOVERY_RETRY_MIN_MS = 100;

/**
 * Finds the issuer's keys, trying again after a failure — Tessera may start after the service — with a
 * delay doubling from 100 ms up to `retryMaxMs`, until it succeeds or the verifier is closed. Meanwhile
 * a verification waits for an attempt under way, and is refused with 503 between attempts.
 */
class KeysLocator {
  private attempt: Promise<KeyLookup>;
  private retryMs = DISCOVERY_RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resolveLocated: () => void = () => undefined;
  private rejectLocated: (error: Error) => void = () => undefined;
  /** Resolves once the keys are located; rejects if the verifier is closed first, or the options cannot work. */
  readonly located = new Promise<void>((resolve, reject) => {
    this.resolveLocated = resolve;
    this.rejectLocated = reject;
  });

  constructor(
    private readonly find: () => Promise<IssuerEndpoints>,
    private readonly use: (endpoints: IssuerEndpoints) => KeyLookup,
    private readonly retryMaxMs: number,
  ) {
    // Failures surface through verify() and ready(); never as an unhandled rejection.
    this.located.catch(() => undefined);
    this.attempt = this.try();
  }

  /** The key lookup; waits for an attempt under way, refuses (503) between attempts. */
  async current(): Promise<KeyLookup> {
    try {
      return await this.attempt;
    } catch (error) {
      if (error instanceof MisconfiguredError) throw error;
      throw new TesseraError('temporarily_unavailable', KEYS_UNAVAILABLE);
    }
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.rejectLocated(new Error('the verifier was closed before it located the keys'));
  }

  private try(): Promise<KeyLookup> {
    const attempt = this.find().then((endpoints) => this.use(endpoints));
    attempt.then(
      () => this.resolveLocated(),
      (error: unknown) => {
        if (error instanceof MisconfiguredError) return this.rejectLocated(error);
        if (this.stopped) return;
        this.timer = setTimeout(() => (this.attempt = this.try()), this.retryMs);
        this.timer.unref();
        this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
      },
    );
    return attempt;
  }
}

/** Options that no retry can fix. */
class MisconfiguredError extends Error {}

async function locate(options: VerifierOptions): Promise<IssuerEndpoints> {
  if (options.jwksUri) return { jwksUri: options.jwksUri, feedUrl: options.feedUrl ?? feedBesideJwks(options.jwksUri) };
  if (!URL.canParse(options.issuer)) {
    throw new MisconfiguredError(`issuer ${JSON.stringify(options.issuer)} is not a URL: pass jwksUri (and feedUrl), or set Tessera's PUBLIC_URL`);
  }
  const found = await discoverEndpoints(options.issuer);
  return { ...found, feedUrl: options.feedUrl ?? found.feedUrl };
}
