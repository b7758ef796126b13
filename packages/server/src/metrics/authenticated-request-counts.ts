import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RequestCount, Store } from '../store/store.js';

const HOUR_MS = 3_600_000;

export type AuthenticatedVia = RequestCount['via'];

export interface AuthenticatedRequestCountsOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Counts reach the store at least this often (and on stop). */
  flushIntervalMs: number;
  /** Hours older than this many days are deleted by `prune`. */
  retentionDays: number;
}

/** One hour's counts, JWT and session. */
export interface HourlyCounts {
  hour: number;
  jwt: number;
  session: number;
}

/**
 * Authenticated requests per hour, JWT against session: the console's chart of the move to JWTs.
 * Counting adds one to a number in memory; the hours reach the store in one batch every
 * `flushIntervalMs`, so no request writes. A process killed outright loses at most one interval.
 */
export class AuthenticatedRequestCounts {
  private pending = new Map<string, RequestCount>();
  private hour = -1;
  private jwt = 0;
  private session = 0;
  /** Since this process started, for /metrics (a Prometheus counter never goes down). */
  private readonly totals = { jwt: 0, session: 0 };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: AuthenticatedRequestCountsOptions) {}

  /** The hot path: one comparison and one addition. */
  count(via: AuthenticatedVia): void {
    const hour = Math.floor(this.options.clock.now() / HOUR_MS);
    if (hour !== this.hour) this.closeHour(hour);
    if (via === 'jwt') this.jwt += 1;
    else this.session += 1;
  }

  /** Requests counted by this process since it started (written or not). */
  processTotals(): { jwt: number; session: number } {
    return { jwt: this.totals.jwt + this.jwt, session: this.totals.session + this.session };
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Writes what was counted so far; on failure the counts are kept for the next attempt. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** The hours of the last `days` days (oldest first), each with both counts; hours without requests are zeros. */
  async lastDays(days: number): Promise<HourlyCounts[]> {
    await this.flush();
    const nowHour = Math.floor(this.options.clock.now() / HOUR_MS) * HOUR_MS;
    const first = nowHour - (days * 24 - 1) * HOUR_MS;
    const byHour = new Map<number, HourlyCounts>();
    for (let hour = first; hour <= nowHour; hour += HOUR_MS) byHour.set(hour, { hour, jwt: 0, session: 0 });
    for (const row of await this.options.store.requestCounts.list(first)) {
      const slot = byHour.get(row.hour);
      if (slot) slot[row.via] += row.count;
    }
    return [...byHour.values()];
  }

  /** Deletes hours older than the retention; returns how many rows went. */
  prune(): Promise<number> {
    return this.options.store.requestCounts.prune(this.options.clock.now() - this.options.retentionDays * 86_400_000);
  }

  /** Moves the running hour's counts to the pending batch and starts `hour`. */
  private closeHour(hour: number): void {
    this.park();
    this.hour = hour;
  }

  private park(): void {
    const start = this.hour * HOUR_MS;
    if (this.jwt > 0) this.add({ hour: start, via: 'jwt', count: this.jwt });
    if (this.session > 0) this.add({ hour: start, via: 'session', count: this.session });
    this.totals.jwt += this.jwt;
    this.totals.session += this.session;
    this.jwt = 0;
    this.session = 0;
  }

  private add(entry: RequestCount): void {
    const key = `${entry.hour}:${entry.via}`;
    const existing = this.pending.get(key);
    if (existing) existing.count += entry.count;
    else this.pending.set(key, { ...entry });
  }

  private async write(): Promise<void> {
    this.park();
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.options.store.requestCounts.add([...batch.values()]);
    } catch (error) {
      this.options.logger.warn({ err: error, pending: batch.size }, 'request counts not written yet; will retry');
      for (const entry of batch.values()) this.add(entry);
    }
  }
}
