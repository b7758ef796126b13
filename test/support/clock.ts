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
