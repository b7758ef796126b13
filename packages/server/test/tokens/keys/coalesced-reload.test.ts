import { describe, expect, it } from 'vitest';
import { CoalescedReload } from '../../../src/tokens/keys/coalesced-reload.js';

describe('a coalesced reload', () => {
  it('shares a run between concurrent callers and runs once more, after it, for calls made meanwhile', async () => {
    const releases: Array<() => void> = [];
    let runs = 0;
    const reload = new CoalescedReload(
      () =>
        new Promise<void>((resolve) => {
          runs += 1;
          releases.push(resolve);
        }),
    );
    const first = reload.run();
    const second = reload.run();
    const third = reload.run();
    expect(runs).toBe(1);
    expect(second).toBe(third);
    releases.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    releases.shift()!();
    await second;
    expect(runs).toBe(2);
  });

  it('runs again after a failed run', async () => {
    let runs = 0;
    const reload = new CoalescedReload(async () => {
      runs += 1;
      if (runs === 1) throw new Error('store down');
    });
    await expect(reload.run()).rejects.toThrow('store down');
    await reload.run();
    expect(runs).toBe(2);
  });
});
