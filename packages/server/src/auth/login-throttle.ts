import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditLog } from '../audit/audit-log.js';
import { clientKey } from '../client-key.js';
import type { WindowCounts } from '../fleet/window-counts.js';
import { RateLimitedError } from '../errors.js';
import type { ClientInfo } from '../tokens/refresh-family.js';

export interface LoginThrottlePolicy {
  /** Failed logins of an account (from anywhere) before each further check of it is slowed. 0 = never slowed. */
  slowdownAfter: number;
  /** Failed logins of an account from one client IP after which that IP is refused for the account. 0 = never. */
  lockoutThreshold: number;
  /** Failures count within this fixed window (and a lock lasts until it ends). */
  windowMs: number;
}

/** The first slowed check waits this long; each further failure doubles it, up to `MAX_DELAY_MS`. */
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 10_000;
/**
 * How many queued checks of one slowed account (from addresses that have failed on it, or send several at
 * once) an instance takes at once: one held or being checked, one waiting its turn. Further ones are
 * refused (429) until a place frees.
 */
export const SLOWED_CHECK_PLACES = 2;

/** Ends a check that `LoginThrottle.before` let through; the caller calls it once the check has ended. */
export type ThrottleRelease = () => void;
const NOTHING_HELD: ThrottleRelease = () => {};

/** `end`, run the first time the result is called and never again. */
function once(end: () => void): ThrottleRelease {
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    end();
  };
}

/** Who asks: `signedIn` when the caller holds a valid access token of the account (re-authentication, a password change). */
export interface CheckOrigin {
  signedIn?: boolean;
}

export interface LoginThrottleStatus {
  username: string;
  /** Failed logins of the account in the current window, from every client IP. */
  failures: number;
  /** How long each check of the account is held before the password is verified. */
  delayMs: number;
  /** When the window (and every per-IP lock of the account) ends; null without failures. */
  resetsAt: number | null;
}

/**
 * Brute-force protection per account (OWASP's advice: slow an account down, never lock its owner out).
 * Failed logins of a username — one that exists or not, counted alike, so throttling reveals nothing —
 * slow every later check of it progressively; a hard refusal (429) falls on the pair of that account and
 * one client IP. Counts live in memory or in Redis (across the fleet), never the database.
 *
 * Guesses sent together would otherwise each wait out the delay side by side, so on each instance the
 * checks of a slowed account from an address that has already failed on it, or has another check of it
 * under way here, run one at a time (`SLOWED_CHECK_PLACES` taken at once, the rest refused with 429 and
 * `Retry-After`). A guesser thus gets one guess per address per window outside that queue, where it had
 * `LOGIN_LOCKOUT_THRESHOLD` (10). The owner logging in from an address that has not failed on the
 * account (a new phone), or re-entering their password while signed in, is held for the delay but never
 * queued: the guessing cannot lock them out there.
 */
export class LoginThrottle {
  /** Slowed accounts with queued checks on this instance: how many are taken, and the end of the last one. */
  private readonly queues = new Map<string, { taken: number; last: Promise<void> }>();
  /** Checks of a slowed account under way on this instance, per account+address pair. */
  private readonly underWay = new Map<string, number>();

  constructor(
    private readonly options: {
      counts: WindowCounts;
      audit: AuditLog;
      policy: LoginThrottlePolicy;
      now: () => number;
      /** Holds a slowed check; tests pass one that records the wait instead of waiting. */
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  /**
   * Before a password check: refuses a locked account+IP, holds a slowed account (in turn, for an address
   * that has failed on it). The caller calls what this returns once the check has ended.
   */
  async before(account: string, client: ClientInfo, origin: CheckOrigin = {}): Promise<ThrottleRelease> {
    const { policy, counts } = this.options;
    // The account+address pair is read only when something depends on it: its lock, or a slowed account's queue.
    let key: Promise<string> | undefined;
    const pairKey = () => (key ??= this.pairKey(account, client));
    let pair: { current: number; ttl: number } | undefined;
    if (policy.lockoutThreshold > 0) {
      pair = await counts.peek(await pairKey());
      if (pair.current >= policy.lockoutThreshold) throw new RateLimitedError(Math.max(1, Math.ceil(pair.ttl / 1000)));
    }
    const delayMs = this.delayFor((await counts.peek(accountKey(account))).current);
    if (delayMs === 0) return NOTHING_HELD;
    const hold = this.options.sleep ?? sleep;
    const pairName = await pairKey();
    pair ??= await counts.peek(pairName);
    const firstFromAddress = pair.current === 0 && !this.underWay.has(pairName);
    const endCheck = this.begin(pairName);
    try {
      if (origin.signedIn || firstFromAddress) {
        await hold(delayMs);
        return endCheck;
      }
      const endTurn = await this.takeTurn(account, client, delayMs, hold);
      return () => {
        endTurn();
        endCheck();
      };
    } catch (error) {
      endCheck();
      throw error;
    }
  }

  /** Counts a check of a slowed account as under way from its address; returns what ends it (once). */
  private begin(pairKey: string): ThrottleRelease {
    this.underWay.set(pairKey, (this.underWay.get(pairKey) ?? 0) + 1);
    return once(() => {
      const left = this.underWay.get(pairKey)! - 1;
      if (left === 0) this.underWay.delete(pairKey);
      else this.underWay.set(pairKey, left);
    });
  }

  /** Waits for the queued checks of the account taken before this one, then its delay; refuses when no place is free. */
  private async takeTurn(account: string, client: ClientInfo, delayMs: number, hold: (ms: number) => Promise<void>): Promise<ThrottleRelease> {
    let queue = this.queues.get(account);
    if (queue && queue.taken >= SLOWED_CHECK_PLACES) {
      this.options.audit.record({ type: 'login.queue_full', userId: null, client, detail: { username: account, delay_ms: delayMs } });
      // The checks ahead each take at least the delay: the earliest a place can free up.
      throw new RateLimitedError(Math.max(1, Math.ceil(delayMs / 1000)));
    }
    if (!queue) this.queues.set(account, (queue = { taken: 0, last: Promise.resolve() }));
    const taken = queue;
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const ahead = taken.last;
    taken.last = ended;
    taken.taken += 1;
    const release = once(() => {
      end();
      taken.taken -= 1;
      if (taken.taken === 0 && this.queues.get(account) === taken) this.queues.delete(account);
    });
    try {
      await ahead;
      await hold(delayMs);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** After a wrong password (or unknown user, or disabled account): counts it, audits thresholds crossed. */
  async failed(account: string, userId: string | null, client: ClientInfo): Promise<void> {
    const { policy, counts, audit } = this.options;
    const [total, pair] = await Promise.all([
      counts.hit(accountKey(account), policy.windowMs),
      counts.hit(await this.pairKey(account, client), policy.windowMs),
    ]);
    const detail = { username: account, failures: total.current };
    if (policy.slowdownAfter > 0 && total.current === policy.slowdownAfter) {
      audit.record({ type: 'login.throttled', userId, client, detail: { ...detail, delay_ms: this.delayFor(total.current) } });
    }
    if (policy.lockoutThreshold > 0 && pair.current === policy.lockoutThreshold) {
      audit.record({ type: 'login.locked', userId, client, detail: { ...detail, ip: client.ip, until: new Date(this.options.now() + pair.ttl).toISOString() } });
    }
  }

  /** After a correct password: the failures of this account from this IP are forgotten. */
  async succeeded(account: string, client: ClientInfo): Promise<void> {
    await this.options.counts.clear([await this.pairKey(account, client)]);
  }

  async status(account: string): Promise<LoginThrottleStatus> {
    const { current, ttl } = await this.options.counts.peek(accountKey(account));
    return { username: account, failures: current, delayMs: this.delayFor(current), resetsAt: current === 0 ? null : this.options.now() + ttl };
  }

  /** Clears the account's slowdown and every per-IP lock on it (a new epoch orphans the old pair counts). */
  async unlock(account: string): Promise<LoginThrottleStatus> {
    const before = await this.status(account);
    await this.options.counts.clear([accountKey(account)]);
    await this.options.counts.hit(epochKey(account), this.options.policy.windowMs * 2);
    return before;
  }

  private delayFor(failures: number): number {
    const { slowdownAfter } = this.options.policy;
    if (slowdownAfter === 0 || failures < slowdownAfter) return 0;
    return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - slowdownAfter));
  }

  /** The account and the client (`clientKey`: an IPv6 client is its /64); the audit keeps the full address. */
  private async pairKey(account: string, client: ClientInfo): Promise<string> {
    const epoch = (await this.options.counts.peek(epochKey(account))).current;
    return `login-ip:${epoch}:${client.ip === null ? 'unknown' : clientKey(client.ip)}|${account}`;
  }
}

const accountKey = (account: string) => `login-account:${account}`;
const epochKey = (account: string) => `login-epoch:${account}`;
