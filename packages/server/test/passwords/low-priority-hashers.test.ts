import { readdirSync, readFileSync } from 'node:fs';
import { platform } from 'node:os';
import { verify } from '@node-rs/argon2';
import { afterEach, describe, expect, it } from 'vitest';
import { LowPriorityHashers } from '../../src/passwords/low-priority-hashers.js';
import { OWASP_ARGON2ID, PasswordHasher } from '../../src/passwords/password-hasher.js';

/** The nice value of each of this process's threads, by thread id (Linux: /proc/self/task/TID/stat, field 19). */
function threadNiceValues(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      nice.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended while being listed
    }
  }
  return nice;
}
const loweredThreads = (nice: number) => [...threadNiceValues().values()].filter((n) => n === nice).length;
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe.runIf(platform() === 'linux')('low-priority hashing threads (Linux)', () => {
  let pool: LowPriorityHashers | undefined;
  afterEach(() => pool?.close());

  it('hash in threads whose nice value is raised, while the event loop keeps its own', async () => {
    pool = new LowPriorityHashers({ threads: 2, nice: 13 });
    const [a, b] = await Promise.all([
      pool.tryRun({ op: 'hash', password: 'first', options: CHEAP }),
      pool.tryRun({ op: 'hash', password: 'second', options: CHEAP }),
    ]);
    expect(await verify(a as string, 'first')).toBe(true);
    expect(await verify(b as string, 'second')).toBe(true);
    expect(loweredThreads(13)).toBe(2);
    expect(threadNiceValues().get(process.pid)).toBe(0);
  });

  it('verify the right password, refuse a wrong one, and treat an unreadable hash as a mismatch', async () => {
    pool = new LowPriorityHashers({ threads: 1 });
    const stored = (await pool.tryRun({ op: 'hash', password: 'pw', options: CHEAP })) as string;
    expect(await pool.tryRun({ op: 'verify', hash: stored, password: 'pw' })).toBe(true);
    expect(await pool.tryRun({ op: 'verify', hash: stored, password: 'Pw' })).toBe(false);
    expect(await pool.tryRun({ op: 'verify', hash: '$argon2id$not-a-hash', password: 'pw' })).toBe(false);
  });

  it('take no more jobs at once than they have threads', async () => {
    pool = new LowPriorityHashers({ threads: 1 });
    const first = pool.tryRun({ op: 'hash', password: 'a', options: CHEAP });
    expect(pool.tryRun({ op: 'hash', password: 'b', options: CHEAP })).toBeUndefined();
    await first;
    await expect(pool.tryRun({ op: 'hash', password: 'b', options: CHEAP })).resolves.toMatch(/^\$argon2id\$/);
  });

  it('say a job has begun once a new thread has started up with its priority lowered, and at once on a thread already running', async () => {
    pool = new LowPriorityHashers({ threads: 1, nice: 14 });
    let firstBegan = false;
    let niceWhenBegun: number[] = [];
    const first = pool.tryRun({ op: 'hash', password: 'a', options: CHEAP }, () => {
      firstBegan = true;
      niceWhenBegun = [...threadNiceValues().values()].filter((n) => n === 14);
    });
    expect(firstBegan).toBe(false); // the thread is starting up
    await first;
    expect(firstBegan).toBe(true);
    expect(niceWhenBegun).toEqual([14]);
    let secondBegan = false;
    const second = pool.tryRun({ op: 'hash', password: 'b', options: CHEAP }, () => (secondBegan = true));
    expect(secondBegan).toBe(true);
    await second;
  });

  it('exit when idle, giving their memory back, and start again for the next job', async () => {
    pool = new LowPriorityHashers({ threads: 1, nice: 17, idleMs: 50 });
    await pool.tryRun({ op: 'hash', password: 'a', options: CHEAP });
    expect(loweredThreads(17)).toBe(1);
    await expect.poll(() => loweredThreads(17), { timeout: 5_000 }).toBe(0);
    await expect(pool.tryRun({ op: 'hash', password: 'b', options: CHEAP })).resolves.toMatch(/^\$argon2id\$/);
  });

  it('refuse work once closed', async () => {
    pool = new LowPriorityHashers({ threads: 1 });
    pool.close();
    expect(pool.usable).toBe(false);
    expect(pool.tryRun({ op: 'hash', password: 'a', options: CHEAP })).toBeUndefined();
  });
});

describe('low-priority hashing threads, settings', () => {
  it('refuse a nice value that would not lower priority, or no threads', () => {
    expect(() => new LowPriorityHashers({ nice: 0 })).toThrow(RangeError);
    expect(() => new LowPriorityHashers({ threads: 0 })).toThrow(RangeError);
  });
});

describe.runIf(platform() === 'linux')('a password check whose hashing thread stops midway', () => {
  it('is answered at normal priority, rightly for the right and the wrong password', async () => {
    const pool = new LowPriorityHashers({ threads: 2 });
    const hasher = new PasswordHasher(OWASP_ARGON2ID, 1, Number.POSITIVE_INFINITY, pool);
    const stored = await hasher.hash('right');
    const right = hasher.verify(stored, 'right');
    const wrong = hasher.verify(stored, 'wrong');
    pool.close();
    expect(await right).toBe(true);
    expect(await wrong).toBe(false);
  });
});
