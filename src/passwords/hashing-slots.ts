/**
 * At most `slots` password hashes at once; the others wait their turn, first come first served.
 * argon2id is CPU- and memory-bound (19 MiB each): running more hashes than there are cores gains no
 * throughput, costs their memory all at once, and fills the libuv thread pool that token signing also
 * needs.
 */
export class HashingSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`hashing slots must be a whole number ≥ 1 (got ${slots})`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
