/**
 * Runs a reload so that concurrent callers share it, and a call made while one is under way gets a
 * second run that starts after it: the first may have read the store before the change that
 * prompted the call. At most one run is under way and at most one is waiting.
 */
export class CoalescedReload {
  private running: Promise<void> | undefined;
  private again: Promise<void> | undefined;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.running) {
      this.running = this.task().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.again ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.again = undefined;
        return this.run();
      });
    return this.again;
  }
}
