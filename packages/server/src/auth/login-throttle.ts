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
 * slow every later check of it progressively; a hard refusal (429) falls only on the pair of that
 * account and one client IP. Counts live in memory or in Redis (across the fleet), never the database.
 */
export class LoginThrottle {
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

  /** Before a password check: refuses a locked account+IP, holds a slowed account. */
  async before(account: string, client: ClientInfo): Promise<void> {
    const { policy } = this.options;
    if (policy.lockoutThreshold > 0) {
      const pair = await this.options.counts.peek(await this.pairKey(account, client));
      if (pair.current >= policy.lockoutThreshold) throw new RateLimitedError(Math.max(1, Math.ceil(pair.ttl / 1000)));
    }
    const delayMs = this.delayFor((await this.options.counts.peek(accountKey(account))).current);
    if (delayMs > 0) await (this.options.sleep ?? sleep)(delayMs);
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
