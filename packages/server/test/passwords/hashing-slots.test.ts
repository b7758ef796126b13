import { describe, expect, it } from 'vitest';
import { HashingSlots } from '../../src/passwords/hashing-slots.js';

describe('HashingSlots', () => {
  it('runs at most its number of tasks at once and every task to completion, in arrival order', async () => {
    const slots = new HashingSlots(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return i * 10;
    };
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => slots.run(task(i))));
    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('frees the slot of a task that fails, and hands its error to its caller only', async () => {
    const slots = new HashingSlots(1);
    const failing = slots.run(() => Promise.reject(new Error('boom')));
    const next = slots.run(() => Promise.resolve('ok'));
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('refuses a number of slots below one', () => {
    expect(() => new HashingSlots(0)).toThrow(RangeError);
  });
});

describe('HashingSlots with a bounded wait', () => {
  it('refuses a task still waiting for a slot at the bound with a 503 error, and counts it', async () => {
    const slots = new HashingSlots(1, 5);
    let release!: () => void;
    const busy = slots.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(slots.run(() => Promise.resolve('never'))).rejects.toMatchObject({ code: 'temporarily_unavailable', retryAfterSeconds: 1 });
    expect(slots.shed).toBe(1);
    release();
    await busy;
    await expect(slots.run(() => Promise.resolve('ok'))).resolves.toBe('ok');
  });
});
