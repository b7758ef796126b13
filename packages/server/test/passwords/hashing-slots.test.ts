import { describe, expect, it } from 'vitest';
import { HashingSlots } from '../../src/passwords/hashing-slots.js';
import { HashingThreadUnavailable, type Argon2Job, type HashingThreads } from '../../src/passwords/low-priority-hashers.js';

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

/** Hashing threads that finish a job when the test says so. */
class HeldThreads implements HashingThreads {
  usable = true;
  readonly held: { job: Argon2Job; finish: (value: unknown) => void; fail: (error: unknown) => void }[] = [];
  constructor(private readonly size: number) {}
  get busy(): number {
    return this.held.length;
  }
  /** Set: threads are starting up, and begin their jobs only when `begin` is called. */
  startingUp = false;
  private readonly waiting: (() => void)[] = [];
  tryRun(job: Argon2Job, began: () => void): Promise<unknown> | undefined {
    if (this.held.length >= this.size) return undefined;
    const answer = new Promise((finish, fail) => {
      const entry = { job, finish: (value: unknown) => (this.held.splice(this.held.indexOf(entry), 1), finish(value)), fail };
      this.held.push(entry);
    });
    if (this.startingUp) this.waiting.push(began);
    else began();
    return answer;
  }
  begin(): void {
    for (const began of this.waiting.splice(0)) began();
  }
}
const argon2Task = (password: string, runHere: () => Promise<unknown>) => ({ run: runHere, job: { op: 'verify' as const, hash: '$argon2id$…', password } });
const tick = () => new Promise((resolve) => setTimeout(resolve, 80));

describe('HashingSlots with low-priority hashing threads', () => {
  it('give argon2 work to idle threads first, and keep it waiting for them rather than running it at normal priority', async () => {
    const threads = new HeldThreads(1);
    const ranHere: string[] = [];
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => 0);
    const first = slots.run(argon2Task('a', async () => ranHere.push('a')));
    const second = slots.run(argon2Task('b', async () => ranHere.push('b')));
    await tick();
    expect(threads.held.map((h) => h.job)).toMatchObject([{ password: 'a' }]);
    expect(ranHere).toEqual([]);
    threads.held[0]!.finish(true);
    await expect(first).resolves.toBe(true);
    await tick();
    expect(threads.held.map((h) => h.job)).toMatchObject([{ password: 'b' }]);
    threads.held[0]!.finish(false);
    await expect(second).resolves.toBe(false);
    expect(ranHere).toEqual([]);
  });

  it('also start a job stalled on a thread at normal priority, and answer with whichever finishes first', async () => {
    const threads = new HeldThreads(1);
    let now = 0;
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => now);
    const answer = slots.run(argon2Task('a', async () => 'normal priority'));
    await tick();
    expect(threads.busy).toBe(1);
    now = 1_000; // far past the first stall bound (100 ms) while the thread has not answered
    await expect(answer).resolves.toBe('normal priority');
    threads.held[0]!.finish('thread, too late');
    await tick();
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
  });

  it('keep argon2 work queued behind threads that keep finishing jobs, however long the queue (a login flood)', async () => {
    const threads = new HeldThreads(1);
    let now = 0;
    const ranHere: string[] = [];
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => now);
    const answers = Array.from({ length: 12 }, (_, i) => slots.run(argon2Task(`p${i}`, async () => ranHere.push(`p${i}`))));
    for (let i = 0; i < 12; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      now += 10; // each takes 10 ms on the thread: the last waits 110 ms, past 8× its 10 ms, while the thread keeps finishing
      threads.held[0]!.finish(`thread ${i}`);
    }
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 12 }, (_, i) => `thread ${i}`));
    expect(ranHere).toEqual([]);
  });

  it('leave a slow job on one thread alone while the other threads keep finishing jobs, and start it at normal priority once they all stall', async () => {
    const threads = new HeldThreads(2);
    let now = 0;
    const ranHere: string[] = [];
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => now);
    const slow = slots.run(argon2Task('slow', async () => ranHere.push('slow')));
    const others = Array.from({ length: 12 }, (_, i) => slots.run(argon2Task(`p${i}`, async () => ranHere.push(`p${i}`))));
    await tick();
    for (let i = 0; i < 12; i += 1) {
      now += 50; // the other thread answers every 50 ms; the slow job runs 600 ms, past 8× that
      threads.held.find((h) => h.job.password === `p${i}`)!.finish(`thread ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await Promise.all(others)).toEqual(Array.from({ length: 12 }, (_, i) => `thread ${i}`));
    expect(ranHere).toEqual([]);
    now += 1_000; // now no thread has answered anything for far longer than 8× 50 ms
    void slots.run(async () => 'bcrypt checked'); // any new work makes the slots look again
    await expect(slow).resolves.toBe(1);
    expect(ranHere).toEqual(['slow']);
  });

  it('wait for a thread starting up rather than start its job at normal priority, unless the start-up takes far too long', async () => {
    const threads = new HeldThreads(1);
    threads.startingUp = true;
    let now = 0;
    const ranHere: string[] = [];
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => now);
    const first = slots.run(argon2Task('first', async () => ranHere.push('first')));
    await tick();
    now = 500; // past the first stall bound (100 ms): a fresh thread takes longer than a job to start
    await expect(slots.run(async () => 'bcrypt checked')).resolves.toBe('bcrypt checked');
    expect(ranHere).toEqual([]);
    threads.begin();
    now = 550;
    threads.held[0]!.finish('thread');
    await expect(first).resolves.toBe('thread');

    const stuck = slots.run(argon2Task('stuck', async () => ranHere.push('stuck')));
    await tick();
    now = 5_000; // a thread that has not started up in seconds is stalled
    void slots.run(async () => 'bcrypt checked');
    await expect(stuck).resolves.toBe(1);
    expect(ranHere).toEqual(['stuck']);
  });

  it('run work only normal priority can do (imported hashes) without waiting behind busy threads', async () => {
    const threads = new HeldThreads(1);
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => 0);
    void slots.run(argon2Task('a', async () => 'unused'));
    await expect(slots.run(async () => 'bcrypt checked')).resolves.toBe('bcrypt checked');
  });

  it('run a job at normal priority when its thread could not lower its priority', async () => {
    const threads = new HeldThreads(1);
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => 0);
    const answer = slots.run(argon2Task('a', async () => 'normal priority'));
    await tick();
    threads.usable = false;
    threads.held[0]!.fail(new HashingThreadUnavailable('priority'));
    await expect(answer).resolves.toBe('normal priority');
  });

  it('hand a thread’s own error (argon2 refused the input) to the caller', async () => {
    const threads = new HeldThreads(1);
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => 0);
    const answer = slots.run(argon2Task('a', async () => 'unused'));
    await tick();
    threads.held[0]!.fail(new Error('password too long'));
    await expect(answer).rejects.toThrow('password too long');
  });
});

describe('HashingSlots with low-priority hashing threads and a bounded wait', () => {
  it('let a job on a thread run its usual time past the bound, and refuse with 503 one held up there when no normal place frees up', async () => {
    const threads = new HeldThreads(1);
    let now = 0;
    const slots = new HashingSlots(1, 50, threads, () => now);
    let releaseImported!: () => void;
    const imported = slots.run(() => new Promise<string>((resolve) => (releaseImported = () => resolve('bcrypt checked'))));
    const held = slots.run(argon2Task('a', async () => 'unused'));
    let answered = false;
    held.then(() => (answered = true), () => (answered = true));
    await tick();
    expect(threads.busy).toBe(1);
    expect(answered).toBe(false); // running on its thread (not stalled): not refused at 50 ms
    now = 1_000; // far past its stall bound (100 ms)
    await expect(held).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    expect(slots.shed).toBe(1);
    releaseImported();
    await expect(imported).resolves.toBe('bcrypt checked');
  });

  it('give a free normal place to the longest-waiting stalled job first', async () => {
    const threads = new HeldThreads(1);
    let now = 0;
    const order: string[] = [];
    const slots = new HashingSlots(1, Number.POSITIVE_INFINITY, threads, () => now);
    let releaseImported!: () => void;
    const imported = slots.run(() => new Promise<void>((resolve) => (releaseImported = resolve)));
    const onThread = slots.run(argon2Task('first', async () => order.push('first')));
    await tick();
    now = 10;
    const queued = slots.run(argon2Task('second', async () => order.push('second')));
    now = 1_000;
    releaseImported();
    await imported;
    await onThread;
    await queued;
    expect(order).toEqual(['first', 'second']);
  });
});

describe('HashingSlots with hashing threads slow to start and a bounded wait (a busy machine)', () => {
  it('give a free normal place to a job at its bound when no thread has finished anything since it arrived, rather than refuse it', async () => {
    // The threads are still busy with earlier work (already answered at normal priority): on a busy
    // machine a new thread can take seconds to start.
    const threads = new HeldThreads(1);
    threads.startingUp = true;
    let now = 0;
    const slots = new HashingSlots(1, 5, threads, () => now);
    const warmUp = slots.run(argon2Task('dummy', async () => 'normal priority'));
    await tick();
    now = 5_000; // far past the thread's start-up allowance: the warm-up also runs at normal priority and wins
    void slots.run(async () => 'bcrypt checked'); // any new work makes the slots look again
    await expect(warmUp).resolves.toBe('normal priority');
    await tick();
    expect(threads.busy).toBe(1); // its thread is still starting, with a job nobody waits for

    const login = slots.run(argon2Task('login', async () => 'normal priority'));
    await expect(login).resolves.toBe('normal priority');
    expect(slots.shed).toBe(0);
  });

  it('still refuse a flood behind threads that keep finishing jobs, without running it at normal priority', async () => {
    const threads = new HeldThreads(1);
    let now = 0;
    const ranHere: string[] = [];
    const slots = new HashingSlots(1, 40, threads, () => now);
    const answers = Array.from({ length: 6 }, (_, i) => slots.run(argon2Task(`p${i}`, async () => ranHere.push(`p${i}`))));
    const settled = answers.map((a) => a.then((value) => value, (error: unknown) => error));
    await new Promise((resolve) => setTimeout(resolve, 5));
    now = 10;
    threads.held[0]!.finish('thread 0'); // the thread finishes one and takes the next, before the others' bound
    const results = await Promise.all([settled[0], ...settled.slice(2)]);
    expect(results[0]).toBe('thread 0');
    expect(results.slice(1)).toMatchObject(Array.from({ length: 4 }, () => ({ code: 'temporarily_unavailable' })));
    expect(ranHere).toEqual([]);
    threads.held[0]!.finish('thread 1');
    await expect(answers[1]).resolves.toBe('thread 1');
  });

  it('leave a job on a thread that is slow to start up to its thread, rather than refuse it when no normal place is free', async () => {
    const threads = new HeldThreads(1);
    threads.startingUp = true;
    let now = 0;
    const slots = new HashingSlots(1, 5, threads, () => now);
    let releaseImported!: () => void;
    const imported = slots.run(() => new Promise<string>((resolve) => (releaseImported = () => resolve('bcrypt checked'))));
    const login = slots.run(argon2Task('login', async () => 'unused'));
    let answered = false;
    login.then(() => (answered = true), () => (answered = true));
    now = 5_000; // by its bound, the thread has been starting up for seconds (a busy machine)
    await tick();
    expect(answered).toBe(false);
    threads.begin();
    threads.held[0]!.finish('thread');
    await expect(login).resolves.toBe('thread');
    expect(slots.shed).toBe(0);
    releaseImported();
    await imported;
  });
});
