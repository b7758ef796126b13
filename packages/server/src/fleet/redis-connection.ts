import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** How quickly a dead Redis is noticed, and how often it is tried again. */
export const REDIS_TIMEOUTS = {
  /** A connection attempt gives up after this long. */
  connectMs: 1_000,
  /** A command that gets no answer (a hung server) fails after this long. */
  commandMs: 500,
  /** After a command failed, Redis is skipped this long: a hung server costs one slow request a second. */
  pauseAfterFailureMs: 1_000,
  /** Reconnection attempts back off from 100 ms up to this interval. */
  maxReconnectDelayMs: 2_000,
};

/**
 * A Redis connection that never queues: while Redis is unreachable every command fails at once (callers
 * fall back to local state) and the connection keeps reconnecting with backoff. Each outage is logged
 * once when it starts and once when it ends, and counted.
 */
export class RedisConnection {
  readonly redis: Redis;
  /** Outages seen so far, each counted once however long it lasts. */
  outages = 0;
  /** True from the first failure until the next successful (re)connection. */
  down = false;
  /** True once the connection has been ready at least once. */
  everReady = false;
  private closing = false;
  private pausedUntil = 0;

  /**
   * @param role names the connection in logs and in Redis's CLIENT LIST
   * @param whileDown what the instance does without it, for the one warning logged per outage
   */
  constructor(
    url: string,
    private readonly role: string,
    private readonly whileDown: string,
    private readonly logger: Logger,
  ) {
    // ioredis is loaded with the first connection: a server without REDIS_URL never holds it.
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    this.redis = new RedisClient(url, {
      connectionName: `tessera-${role}`,
      connectTimeout: REDIS_TIMEOUTS.connectMs,
      commandTimeout: REDIS_TIMEOUTS.commandMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Subscriptions are renewed by the fleet bus itself, which then re-reads what it may have missed.
      autoResubscribe: false,
      retryStrategy: (attempt) => Math.min(100 * 2 ** (attempt - 1), REDIS_TIMEOUTS.maxReconnectDelayMs),
    });
    this.redis.on('error', (error: Error) => this.failed(error));
    this.redis.on('close', () => this.failed(undefined));
    this.redis.on('ready', () => this.recovered());
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Ready, and no command has failed in the last `pauseAfterFailureMs`. */
  get usable(): boolean {
    return this.ready && Date.now() >= this.pausedUntil;
  }

  /** A command failed or timed out: callers skip Redis for a while (see `usable`). */
  commandFailed(): void {
    this.pausedUntil = Date.now() + REDIS_TIMEOUTS.pauseAfterFailureMs;
  }

  /** Resolves once the connection is ready, or rejects after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const timer = setTimeout(() => done(new Error(`Redis not ready after ${timeoutMs} ms (${this.redis.status})`)), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  /** Closes politely when Redis answers, at once when it does not; never throws. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.ready) {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.redis.disconnect();
  }

  private failed(error: Error | undefined): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.outages += 1;
    this.logger.warn({ err: error, redis: this.role }, `Redis unreachable: ${this.whileDown} until it is back`);
  }

  private recovered(): void {
    this.everReady = true;
    this.pausedUntil = 0; // a new connection is worth asking at once
    if (!this.down) return;
    this.down = false;
    this.logger.info({ redis: this.role }, 'Redis reachable again');
  }
}
