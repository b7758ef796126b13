import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Options } from '@node-rs/argon2';

/** argon2 work a hashing thread can do: hash a new password, or check one against a stored argon2 hash. */
export type Argon2Job = { op: 'hash'; password: string; options: Options } | { op: 'verify'; hash: string; password: string };

/** argon2's memory (KiB) × passes at OWASP's parameters: the unit `argon2Cost` is compared with. */
export const OWASP_COST = 19_456 * 2;

/** A job's memory × passes, which its time is proportional to; a stored hash's own parameters for a check. */
export function argon2Cost(job: Argon2Job): number {
  if (job.op === 'hash') return (job.options.memoryCost ?? 19_456) * (job.options.timeCost ?? 2);
  const params = /[$,]m=(\d+),t=(\d+)/.exec(job.hash);
  return params ? Math.max(1, Number(params[1]) * Number(params[2])) : 1;
}

/** Thrown for a job a thread could not finish: it could not lower its priority, or it stopped. */
export class HashingThreadUnavailable extends Error {
  constructor(readonly reason: 'priority' | 'stopped') {
    super(reason === 'priority' ? 'hashing thread could not lower its priority' : 'hashing thread stopped');
  }
}

/**
 * The worker's code: lower this thread's own scheduling priority (on Linux a thread's nice value is
 * its own, set through its thread id), then compute argon2 synchronously, one job at a time. A thread
 * that cannot lower its priority refuses every job, so that hashing never competes with the event loop
 * at its priority here. A verification that throws (an unreadable stored hash) is a mismatch, as in
 * the argon2 scheme.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');
let lowered = false;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid > 0) {
    setPriority(tid, workerData.nice);
    lowered = true;
  }
} catch {}
// Loaded once the thread's priority is low: its start-up competes with the event loop no longer than it must.
const argon2 = require(workerData.argon2);
parentPort.postMessage({ ready: true });
parentPort.on('message', (job) => {
  if (!lowered) return parentPort.postMessage({ id: job.id, unavailable: true });
  let value;
  try {
    value = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.hash, job.password);
  } catch (error) {
    if (job.op === 'hash') return parentPort.postMessage({ id: job.id, error: String((error && error.message) || error) });
    value = false;
  }
  parentPort.postMessage({ id: job.id, value });
});
`;

/** Threads that take argon2 jobs: what `HashingSlots` needs of them. */
export interface HashingThreads {
  /** False when they cannot take work at all (then everything runs at normal priority). */
  readonly usable: boolean;
  /**
   * Starts the job on an idle thread; undefined when every thread is busy. `began` is called when the
   * thread begins it: at once on a running thread, after its start-up on a new one.
   */
  tryRun(job: Argon2Job, began: () => void): Promise<unknown> | undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Called once the thread is ready to run the job (started up). */
  began: (() => void) | undefined;
}

/** One hashing thread: at most one job at a time; it exits after `idleMs` without work. */
class HashingThread {
  private readonly worker: Worker;
  private pending: Pending | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private stopped = false;
  private answered = false;
  /** Whether the thread has started up (lowered its priority, loaded argon2). */
  private ready = false;

  constructor(
    argon2Path: string,
    nice: number,
    private readonly idleMs: number,
    private readonly onStop: (thread: HashingThread, answered: boolean) => void,
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2: argon2Path, nice } });
    this.worker.unref();
    this.worker.on('message', (message: { ready?: true; value?: unknown; error?: string; unavailable?: true }) => {
      if (message.ready) {
        this.ready = true;
        const began = this.pending?.began;
        if (this.pending) this.pending.began = undefined;
        began?.();
        return;
      }
      this.answered = true;
      const pending = this.pending;
      this.pending = undefined;
      this.armIdleTimer();
      if (!pending) return;
      if (message.unavailable) pending.reject(new HashingThreadUnavailable('priority'));
      else if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.value);
    });
    const stop = () => this.stop();
    this.worker.on('error', stop);
    this.worker.on('exit', stop);
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Hands the thread a job; `began` is called when the thread begins it (at once once it has started up). */
  run(job: Argon2Job, began: () => void): Promise<unknown> {
    clearTimeout(this.idleTimer);
    const answer = new Promise<unknown>((resolve, reject) => {
      this.pending = { resolve, reject, began: this.ready ? undefined : began };
      this.worker.postMessage({ ...job, id: (this.nextId += 1) });
    });
    if (this.ready) began();
    return answer;
  }

  /** Ends the thread; a job still running is rejected with `HashingThreadUnavailable`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.idleTimer);
    this.pending?.reject(new HashingThreadUnavailable('stopped'));
    this.pending = undefined;
    void this.worker.terminate();
    this.onStop(this, this.answered);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
    this.idleTimer.unref();
  }
}

export interface LowPriorityHashersOptions {
  /** Threads at most; by default one per core, so logins can use the whole machine when it is idle. */
  threads?: number;
  /** The threads' nice value (0 normal … 19 lowest); the event loop stays at the process's own. */
  nice?: number;
  /** A thread exits after this long without work, giving its memory back; the next job starts one. */
  idleMs?: number;
}

/**
 * argon2 in worker threads of low scheduling priority: when the machine has spare cores every one of
 * them hashes, and when the event loop has requests to serve the kernel runs it first, so a burst of
 * logins does not slow the API. Threads start on demand and exit when idle. Where a thread cannot
 * lower its priority (not Linux), the pool says so (`usable` false) and hashing stays on the thread
 * pool at normal priority.
 */
export class LowPriorityHashers implements HashingThreads {
  private readonly threads = new Set<HashingThread>();
  private readonly size: number;
  private readonly nice: number;
  private readonly idleMs: number;
  private readonly argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');
  private unavailable = false;
  private closed = false;
  /** Threads in a row that stopped before answering anything (could not start): at 3 the pool gives up. */
  private failedStarts = 0;

  constructor({ threads = availableParallelism(), nice = 10, idleMs = 10_000 }: LowPriorityHashersOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`hashing threads must be a whole number ≥ 1 (got ${threads})`);
    if (!Number.isInteger(nice) || nice < 1 || nice > 19) throw new RangeError(`hashing threads' nice value must be 1–19 (got ${nice})`);
    this.size = threads;
    this.nice = nice;
    this.idleMs = idleMs;
  }

  /** False once a thread could not lower its priority, or after `close`. */
  get usable(): boolean {
    return !this.unavailable && !this.closed;
  }

  /**
   * Runs the job on an idle thread (starting one if fewer than `threads` run); undefined when all are
   * busy. `began` is called when the thread begins the job: at once, or once a new thread has started up.
   */
  tryRun(job: Argon2Job, began: () => void = () => {}): Promise<unknown> | undefined {
    if (!this.usable) return undefined;
    let thread: HashingThread | undefined;
    for (const t of this.threads) {
      if (!t.busy) {
        thread = t;
        break;
      }
    }
    if (!thread) {
      if (this.threads.size >= this.size) return undefined;
      try {
        thread = new HashingThread(this.argon2Path, this.nice, this.idleMs, (stopped, answered) => this.stopped(stopped, answered));
      } catch {
        // No thread can be made here (a limit on threads, a permission model): hash at normal priority.
        this.unavailable = true;
        return undefined;
      }
      this.threads.add(thread);
    }
    return thread.run(job, began).catch((error: unknown) => {
      if (error instanceof HashingThreadUnavailable && error.reason === 'priority') this.unavailable = true;
      throw error;
    });
  }

  private stopped(thread: HashingThread, answered: boolean): void {
    this.threads.delete(thread);
    if (answered || this.closed) this.failedStarts = 0;
    else if ((this.failedStarts += 1) >= 3) this.unavailable = true;
  }

  /** Stops every thread; jobs still running are rejected with `HashingThreadUnavailable`. */
  close(): void {
    this.closed = true;
    for (const thread of this.threads) thread.stop();
  }
}

let shared: LowPriorityHashers | undefined;
/** The process's hashing threads: one per core for the whole process, however many hashers use them. */
export function sharedLowPriorityHashers(): LowPriorityHashers {
  return (shared ??= new LowPriorityHashers());
}
