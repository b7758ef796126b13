import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand: expiry is tested by advancing it, never by sleeping. */
export class TestClock implements Clock {
  constructor(private current = Date.UTC(2026, 10, 23, 12, 0, 0)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}

/**
 * A test clock starting at the real time, for tests where another process (the CLI, on the system
 * clock) judges tokens this instance issued: with the fixed default date, they would look expired (or
 * not yet issued) to it depending on when the suite runs.
 */
export function testClockAtRealTime(): TestClock {
  return new TestClock(Date.now());
}
