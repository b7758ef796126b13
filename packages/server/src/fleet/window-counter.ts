/**
 * Fixed-window request counts per key, in memory, for the most recently seen `capacity` keys: the
 * rate limit of one instance on its own (and of every instance while the shared counters are away).
 */
export class WindowCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit; returns the count in the current window and the milliseconds until it ends. */
  hit(key: string, windowMs: number): { current: number; ttl: number } {
    const now = this.now();
    const found = this.windows.get(key);
    const window = found && found.resetAt > now ? found : { count: 0, resetAt: now + windowMs };
    window.count += 1;
    // Re-inserting keeps the map in least-recently-seen order, so the first key is the one to forget.
    this.windows.delete(key);
    this.windows.set(key, window);
    if (this.windows.size > this.capacity) this.windows.delete(this.windows.keys().next().value!);
    return { current: window.count, ttl: window.resetAt - now };
  }

  get size(): number {
    return this.windows.size;
  }

  /** The count of `key` in its current window (0 when none), without counting a hit. */
  peek(key: string): { current: number; ttl: number } {
    const now = this.now();
    const found = this.windows.get(key);
    if (!found || found.resetAt <= now) return { current: 0, ttl: 0 };
    return { current: found.count, ttl: found.resetAt - now };
  }

  /** Forgets `key`'s window: its next hit starts at one. */
  delete(key: string): boolean {
    return this.windows.delete(key);
  }
}
