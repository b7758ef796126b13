import type { Clock } from '../clock.js';
import type { SharedRateLimit } from './shared-rate-limit.js';
import { WindowCounter } from './window-counter.js';

/** Keys remembered in memory (least recently seen forgotten first): a spray of made-up names stays bounded. */
export const TRACKED_KEYS = 100_000;

/**
 * Counts per key in fixed windows: across the fleet through Redis when there is one (falling back to
 * this process's counts while it does not answer), else in this process, in bounded memory.
 */
export class WindowCounts {
  private readonly local: WindowCounter;

  /** `decides`: each hit is a rate-limit decision on a request (counted in the fallback metrics). */
  constructor(
    private readonly shared: SharedRateLimit | undefined,
    clock: Clock,
    private readonly decides = true,
    capacity = TRACKED_KEYS,
  ) {
    this.local = new WindowCounter(capacity, () => clock.now());
  }

  hit(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    return this.shared ? this.shared.hit(key, windowMs, this.local, this.decides) : Promise.resolve(this.local.hit(key, windowMs));
  }

  peek(key: string): Promise<{ current: number; ttl: number }> {
    return this.shared ? this.shared.peek(key, this.local) : Promise.resolve(this.local.peek(key));
  }

  async clear(keys: string[]): Promise<void> {
    if (this.shared) await this.shared.clear(keys, this.local);
    else for (const key of keys) this.local.delete(key);
  }
}
