import { OverloadedError } from '../errors.js';

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

/**
 * At most `slots` password hashes at once; the others wait their turn, first come first served, for
 * at most `maxWaitMs`. argon2id is CPU- and memory-bound (19 MiB each): running more hashes than there
 * are cores gains no throughput, costs their memory all at once, and fills the libuv thread pool that
 * token signing also needs. Past the wait a task is refused with `OverloadedError` (503): under a login
 * flood the queue stays short and clients are told when to come back, instead of waiting tens of seconds.
 */
export class HashingSlots {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private refused = 0;

  constructor(
    private readonly slots: number,
    private readonly maxWaitMs = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`hashing slots must be a whole number ≥ 1 (got ${slots})`);
    if (!(maxWaitMs > 0)) throw new RangeError(`the longest wait for a hashing slot must be > 0 ms (got ${maxWaitMs})`);
  }

  /** Tasks refused so far because no slot freed up within the longest wait. */
  get shed(): number {
    return this.refused;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await this.waitForSlot();
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.start();
      } else this.running -= 1;
    }
  }

  private waitForSlot(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          this.refused += 1;
          reject(new OverloadedError(Math.max(1, Math.ceil(this.maxWaitMs / 1000))));
        }, Math.min(this.maxWaitMs, 2 ** 31 - 1)),
      };
      if (this.maxWaitMs === Number.POSITIVE_INFINITY) clearTimeout(waiter.timer);
      this.waiting.push(waiter);
    });
  }
}
