/** The source of the current time, passed in so tests can move it. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Whole seconds, as JWT NumericDate claims carry them. */
export const toSeconds = (ms: number): number => Math.floor(ms / 1000);
