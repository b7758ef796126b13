/**
 * One run at a time: callers arriving while a run is in flight share its result instead of starting
 * their own. This is what keeps 50 requests meeting an expired access token to one refresh.
 */
export class SingleFlight<T> {
  private inFlight: Promise<T> | undefined;

  run(work: () => Promise<T>): Promise<T> {
    this.inFlight ??= work().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}
