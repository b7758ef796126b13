import { describe, expect, it } from 'vitest';
import { WindowCounter } from '../../src/fleet/window-counter.js';

describe('the local window counter', () => {
  it('counts hits in a fixed window that starts with the first hit', () => {
    let now = 1_000;
    const counter = new WindowCounter(10, () => now);
    expect(counter.hit('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    now += 15_000;
    expect(counter.hit('a', 60_000)).toEqual({ current: 2, ttl: 45_000 });
    now += 45_000;
    expect(counter.hit('a', 60_000)).toEqual({ current: 1, ttl: 60_000 });
  });

  it('keeps clients apart', () => {
    const counter = new WindowCounter(10, () => 0);
    counter.hit('a', 1000);
    counter.hit('a', 1000);
    expect(counter.hit('b', 1000).current).toBe(1);
  });

  it('forgets the least recently seen client past its capacity', () => {
    const counter = new WindowCounter(2, () => 0);
    counter.hit('a', 1000);
    counter.hit('b', 1000);
    counter.hit('a', 1000); // a is now the most recently seen
    counter.hit('c', 1000); // b goes
    expect(counter.size).toBe(2);
    expect(counter.hit('a', 1000).current).toBe(3);
    expect(counter.hit('b', 1000).current).toBe(1);
  });
});
