import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './redis-connection.js';
import { WindowCounter } from './window-counter.js';

/** One hit on a fixed window: INCR, and the expiry set by the window's first hit, in one atomic step. */
const HIT_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

const COMMAND = 'tesseraRateLimitHit';

type HitCommand = (key: string, windowMs: number) => Promise<[number, number]>;

export interface SharedRateLimitOptions {
  connection: RedisConnection;
  /** Prepended to every counter's key. */
  keyPrefix: string;
  logger: Logger;
  /** Clients remembered per route by the local fallback counter. */
  localCapacity: number;
}

/**
 * Rate-limit counters shared by every instance: AUTH_RATE_LIMIT requests per minute per client means
 * that many across the fleet. Every hit is also counted locally, and when Redis does not answer (down,
 * unreachable, hung past the command timeout) the local count decides instead — the limit then holds per
 * instance, never open and never as an error — and Redis is tried again a second later. The fallback is
 * logged once per outage and counted.
 */
export class SharedRateLimit {
  /** Requests decided by the local count because Redis did not answer. */
  fallbackRequests = 0;
  /** Times the limiter fell back to local counts (each logged once). */
  fallbacks = 0;
  private degraded = false;
  private readonly hitCommand: HitCommand;

  constructor(private readonly options: SharedRateLimitOptions) {
    const { redis } = options.connection;
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: HIT_SCRIPT });
    const command = (redis as unknown as Record<string, HitCommand>)[COMMAND]!;
    this.hitCommand = command.bind(redis);
  }

  /**
   * Counts one request of `key`: in Redis, or in `local` when Redis does not answer. Never rejects.
   * `decides: false` for counts that are not a rate-limit decision (failed logins), kept out of `fallbackRequests`.
   */
  async hit(key: string, windowMs: number, local: WindowCounter, decides = true): Promise<{ current: number; ttl: number }> {
    const counted = local.hit(key, windowMs);
    if (!this.options.connection.usable) return this.fallBack(counted, undefined, decides);
    try {
      const [current, ttl] = await this.hitCommand(this.options.keyPrefix + key, windowMs);
      this.recovered();
      return { current, ttl };
    } catch (error) {
      this.options.connection.commandFailed();
      return this.fallBack(counted, error, decides);
    }
  }

  /** The count of `key` without counting a hit: Redis's when it answers, else `local`'s. Never rejects. */
  async peek(key: string, local: WindowCounter): Promise<{ current: number; ttl: number }> {
    if (!this.options.connection.usable) return this.fallBack(local.peek(key), undefined, false);
    try {
      const redisKey = this.options.keyPrefix + key;
      const [current, ttl] = await Promise.all([this.options.connection.redis.get(redisKey), this.options.connection.redis.pttl(redisKey)]);
      this.recovered();
      return current === null || ttl < 0 ? { current: 0, ttl: 0 } : { current: Number(current), ttl };
    } catch (error) {
      this.options.connection.commandFailed();
      return this.fallBack(local.peek(key), error, false);
    }
  }

  /** Forgets the counts of `keys` in Redis and in `local`; false when Redis did not answer. */
  async clear(keys: string[], local: WindowCounter): Promise<boolean> {
    for (const key of keys) local.delete(key);
    if (keys.length === 0) return true;
    if (!this.options.connection.usable) return false;
    try {
      await this.options.connection.redis.del(...keys.map((key) => this.options.keyPrefix + key));
      return true;
    } catch (error) {
      this.options.connection.commandFailed();
      this.options.logger.warn({ err: error }, 'could not clear shared counters: Redis does not answer');
      return false;
    }
  }

  /** The store class @fastify/rate-limit instantiates; each limited route gets its own counters. */
  store(): FastifyRateLimitStoreCtor {
    const hit: Hit = (key, windowMs, local) => this.hit(key, windowMs, local);
    const capacity = this.options.localCapacity;
    // @fastify/rate-limit passes its options to the root store; routes get theirs through `child`.
    return class extends RouteStore {
      constructor() {
        super(hit, capacity, '');
      }
    };
  }

  private fallBack(counted: { current: number; ttl: number }, error: unknown, decides: boolean): { current: number; ttl: number } {
    if (decides) this.fallbackRequests += 1;
    if (!this.degraded) {
      this.degraded = true;
      this.fallbacks += 1;
      this.options.logger.warn({ err: error }, 'rate limits counted per instance: the shared counters in Redis do not answer');
    }
    return counted;
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.options.logger.info('rate limits shared across the fleet again');
  }
}

type Hit = (key: string, windowMs: number, local: WindowCounter) => Promise<{ current: number; ttl: number }>;

/** The counters of one route, in the shape @fastify/rate-limit asks of a store. */
class RouteStore implements FastifyRateLimitStore {
  private readonly local: WindowCounter;

  constructor(
    private readonly hit: Hit,
    private readonly capacity: number,
    private readonly route: string,
  ) {
    this.local = new WindowCounter(capacity);
  }

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
    void this.hit(`${this.route}${key}`, timeWindow, this.local).then((result) => callback(null, result));
  }

  child(params: unknown): FastifyRateLimitStore {
    const route = (params as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo;
    return new RouteStore(this.hit, this.capacity, `${String(route?.method)}${String(route?.url)}:`);
  }
}
