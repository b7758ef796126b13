import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { LegacyUsageCount, LegacyUsageRecord } from '../sessions/legacy-usage-count.js';

export interface LegacyUsageOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Counts are written at least this often (and on stop). */
  flushIntervalMs: number;
  /** Distinct (user, client) pairs held between writes; past this, new pairs are dropped (and counted). */
  capacity?: number;
}

/**
 * Who still uses sessions: session-authenticated requests counted per user and User-Agent. Counting is
 * a map update in memory; the counts reach the store in one batch every `flushIntervalMs`, so the
 * request path never writes. A process killed outright loses at most the last interval's counts.
 */
export class LegacyUsage {
  private pending = new Map<string, LegacyUsageCount>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Requests not counted because `capacity` distinct pairs were already waiting to be written. */
  dropped = 0;

  constructor(private readonly options: LegacyUsageOptions) {}

  count(userId: string, userAgent: string | null): void {
    const agent = userAgent ?? '';
    const key = `${userId}\u0000${agent}`;
    const now = this.options.clock.now();
    const entry = this.pending.get(key);
    if (entry) {
      entry.lastSeen = now;
      entry.requestCount += 1;
      return;
    }
    if (this.pending.size >= (this.options.capacity ?? 10_000)) {
      this.dropped += 1;
      return;
    }
    this.pending.set(key, { userId, userAgent: agent, firstSeen: now, lastSeen: now, requestCount: 1 });
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes the counts gathered so far; on failure they are kept for the next attempt. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Usage last seen at or after `since`, most recent first, including what is not written yet. */
  async list(since: number): Promise<LegacyUsageRecord[]> {
    await this.flush();
    return this.options.store.legacyUsage.list(since);
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.options.store.legacyUsage.add([...batch.values()]);
    } catch (error) {
      this.options.logger.warn({ err: error, pending: batch.size }, 'legacy usage counts not written yet; will retry');
      this.restore(batch);
    }
  }

  /** Puts an unwritten batch back, merged with whatever was counted meanwhile. */
  private restore(batch: Map<string, LegacyUsageCount>): void {
    for (const [key, entry] of batch) {
      const newer = this.pending.get(key);
      if (newer) {
        newer.firstSeen = entry.firstSeen;
        newer.requestCount += entry.requestCount;
      } else {
        this.pending.set(key, entry);
      }
    }
  }
}
