import { OverloadedError } from '../errors.js';
import { argon2Cost, HashingThreadUnavailable, OWASP_COST, type Argon2Job, type HashingThreads } from './low-priority-hashers.js';

/** A password hash or check: run here (the libuv thread pool, normal priority), or as a job for a hashing thread. */
export interface HashingTask<T> {
  run: () => Promise<T>;
  /** The same work for a low-priority hashing thread; absent when only `run` can do it (imported schemes). */
  job?: Argon2Job | undefined;
}

interface Queued {
  task: HashingTask<unknown>;
  /** argon2's memory × passes for the job (how long it takes, relative to others); 0 without a job. */
  cost: number;
  enqueuedAt: number;
  /** Whether a hashing thread has it (running it, or starting up to run it). */
  onThread: boolean;
  /** When it began running on its hashing thread (after the thread's start-up); undefined until then. */
  onThreadSince: number | undefined;
  /** Whether `run` has been started for it. */
  runStarted: boolean;
  /** Whether a hashing thread could not take it: only `run` can now. */
  threadFailed: boolean;
  settled: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  waitTimer: NodeJS.Timeout | undefined;
}

/** Before any job has finished on a hashing thread, one of OWASP's cost running longer than this is taken as stalled. */
const FIRST_STALL_MS = 100;
/** A job is stalled after this many times what its cost took in the quickest recent run (at least `MIN_STALL_MS`). */
const STALL_FACTOR = 8;
const MIN_STALL_MS = 20;
/** How many recent runs the quickest is taken from. */
const RECENT_RUNS = 64;
/** How long a new hashing thread may take to start up (a fresh thread: tens of ms) before work behind it counts as stalled. */
const THREAD_START_MS = 1_000;

/**
 * Where password hashes run, and how many at once. argon2id is CPU- and memory-bound (19 MiB each).
 *
 * With low-priority hashing threads (Linux), every core hashes when the machine has room, and the
 * kernel favours the event loop whenever it has a request to serve: a burst of logins uses the spare
 * CPU and slows the API less. A thread of low priority also yields to every other busy process on the
 * machine; so a job that runs on one, or waits for one, far longer than its cost took lately (8×)
 * while none of them has finished anything for that long, is also started at normal priority in one
 * of `slots` places, and the first answer wins. Work behind threads that keep finishing jobs (a login
 * flood) just waits for them.
 *
 * Without them, at most `slots` hashes run at once in the thread pool (token signing needs it too)
 * and the others wait their turn, first come first served.
 *
 * A task that has not started within `maxWaitMs` is refused with `OverloadedError` (503): under a
 * login flood the queue stays short and clients are told when to come back. At its bound, a job still
 * waiting for a thread takes a free normal place instead when no thread has finished anything since
 * it arrived (threads starting up, or busy with work already answered: a busy machine); behind threads
 * that keep finishing jobs it is refused. A job on a thread still starting up is left to that thread.
 */
export class HashingSlots {
  private readonly queue: Queued[] = [];
  private readonly onThreads = new Set<Queued>();
  private running = 0;
  private refused = 0;
  /** When a hashing thread last finished a job, began starting up, or finished starting up. */
  private lastThreadProgress = Number.NEGATIVE_INFINITY;
  /** When a hashing thread last answered a job (finished it). */
  private lastThreadAnswer = Number.NEGATIVE_INFINITY;
  /** Jobs handed to hashing threads that are still starting up. */
  private startingUp = 0;
  /** Milliseconds per unit of cost of recent runs on hashing threads. */
  private readonly recentRuns: number[] = [];
  /** The quickest of `recentRuns`, worked out when a run is added, not on every stall check. */
  private quickestRun = Number.POSITIVE_INFINITY;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly slots: number,
    private readonly maxWaitMs = Number.POSITIVE_INFINITY,
    private readonly threads?: HashingThreads | undefined,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`hashing slots must be a whole number ≥ 1 (got ${slots})`);
    if (!(maxWaitMs > 0)) throw new RangeError(`the longest wait for a hashing slot must be > 0 ms (got ${maxWaitMs})`);
  }

  /** Tasks refused so far because they did not start within the longest wait. */
  get shed(): number {
    return this.refused;
  }

  run<T>(task: HashingTask<T> | (() => Promise<T>)): Promise<T> {
    const { run, job } = typeof task === 'function' ? { run: task, job: undefined } : task;
    return new Promise<T>((resolve, reject) => {
      const queued: Queued = {
        task: { run, job },
        cost: job ? argon2Cost(job) : 0,
        enqueuedAt: this.now(),
        onThread: false,
        onThreadSince: undefined,
        runStarted: false,
        threadFailed: false,
        settled: false,
        resolve: resolve as (value: unknown) => void,
        reject,
        waitTimer: undefined,
      };
      if (this.maxWaitMs !== Number.POSITIVE_INFINITY) {
        queued.waitTimer = setTimeout(() => this.refuse(queued), Math.min(this.maxWaitMs, 2 ** 31 - 1));
      }
      this.queue.push(queued);
      this.pump();
    });
  }

  /**
   * Past the longest wait, a task not yet started is refused; so is one held up on a hashing thread
   * (stalled, past its stall bound, after its thread began it) that no normal place took in time. One
   * running its usual time on a thread, or on a thread still starting up, is left to its thread. One
   * waiting for a thread while none has finished anything since it arrived takes a free normal place.
   */
  private refuse(queued: Queued): void {
    if (queued.settled || queued.runStarted) return;
    // A place may have freed up, or the job become stalled, since the last look: start what can start first.
    this.pump();
    if (queued.settled || queued.runStarted) return;
    const now = this.now();
    if (queued.onThread) {
      const stalledIn = this.stalledIn(queued, now);
      // A thread still starting up has the job: on a busy machine that can take seconds. Look again
      // later (a normal place may take it meanwhile if it stalls), but do not refuse it.
      if (stalledIn > 0 || queued.onThreadSince === undefined) {
        queued.waitTimer = setTimeout(() => this.refuse(queued), Math.max(stalledIn, MIN_STALL_MS) + 1);
        return;
      }
    } else if (this.running < this.slots && this.lastThreadAnswer < queued.enqueuedAt) {
      // Waiting for threads that have not finished anything since it arrived (starting up, or busy with
      // work already answered): not a flood they keep up with, so a free normal place takes it.
      this.unqueue(queued);
      this.startRun(queued);
      this.armStallCheck();
      return;
    }
    this.unqueue(queued);
    this.onThreads.delete(queued);
    this.refused += 1;
    this.settle(queued, false, new OverloadedError(Math.max(1, Math.ceil(this.maxWaitMs / 1000))));
  }

  /** Starts what can start: idle hashing threads first, then normal-priority places for what they cannot take. */
  private pump(): void {
    const threads = this.threads?.usable ? this.threads : undefined;
    if (threads) {
      for (let i = 0; i < this.queue.length; ) {
        const queued = this.queue[i]!;
        const job = queued.task.job && !queued.threadFailed ? queued.task.job : undefined;
        const started = job ? threads.tryRun(job, () => this.beganOnThread(queued)) : undefined;
        if (!started) {
          if (queued.task.job && !queued.threadFailed) break; // every thread is busy
          i += 1;
          continue;
        }
        this.queue.splice(i, 1);
        this.startedOnThread(queued, started);
      }
    }
    while (this.running < this.slots) {
      const next = this.nextToRun(threads !== undefined);
      if (!next) break;
      this.startRun(next);
    }
    this.armStallCheck();
  }

  private startedOnThread(queued: Queued, started: Promise<unknown>): void {
    queued.onThread = true;
    this.onThreads.add(queued);
    if (queued.onThreadSince === undefined) {
      // Its thread is starting up: that is progress too, and the job's run has not begun.
      this.startingUp += 1;
      this.lastThreadProgress = this.now();
    }
    const leave = () => {
      this.onThreads.delete(queued);
      queued.onThread = false;
      if (queued.onThreadSince === undefined) this.startingUp -= 1;
    };
    started.then(
      (value) => {
        const began = queued.onThreadSince;
        leave();
        this.lastThreadProgress = this.lastThreadAnswer = this.now();
        if (began !== undefined) this.remember((this.now() - began) / queued.cost);
        this.settle(queued, true, value);
        this.pump();
      },
      (error: unknown) => {
        leave();
        if (!(error instanceof HashingThreadUnavailable)) {
          this.lastThreadProgress = this.lastThreadAnswer = this.now();
          this.settle(queued, false, error);
        } else if (!queued.runStarted && !queued.settled) {
          // The thread could not do it (stopped, or cannot lower its priority): run it here, first in line.
          queued.threadFailed = true;
          queued.onThreadSince = undefined;
          this.queue.unshift(queued);
        }
        this.pump();
      },
    );
  }

  /** Its thread began running it: at once on a running thread, after start-up on a new one. */
  private beganOnThread(queued: Queued): void {
    if (queued.onThreadSince !== undefined || queued.settled || queued.threadFailed) return;
    queued.onThreadSince = this.now();
    if (queued.onThread) {
      this.startingUp -= 1;
      this.lastThreadProgress = queued.onThreadSince;
    }
  }

  /**
   * The next task for a normal-priority place, the longest waiting first: one only it can do, or one
   * stalled behind low-priority threads (waiting for one, or running on one).
   */
  private nextToRun(withThreads: boolean): Queued | undefined {
    const now = this.now();
    const stalled = (q: Queued) => this.stalled(q, now);
    let next: Queued | undefined;
    for (const q of this.queue) {
      if ((!withThreads || !q.task.job || q.threadFailed || stalled(q)) && (!next || q.enqueuedAt < next.enqueuedAt)) next = q;
    }
    for (const q of this.onThreads) {
      if (!q.runStarted && stalled(q) && (!next || q.enqueuedAt < next.enqueuedAt)) next = q;
    }
    if (next) this.unqueue(next);
    return next;
  }

  /** Takes a job out of the queue, if it is there. */
  private unqueue(queued: Queued): void {
    const at = this.queue.indexOf(queued);
    if (at >= 0) this.queue.splice(at, 1);
  }

  private startRun(queued: Queued): void {
    this.clearWait(queued);
    queued.runStarted = true;
    this.running += 1;
    queued.task.run().then(
      (value) => this.finishRun(queued, true, value),
      (error: unknown) => this.finishRun(queued, false, error),
    );
  }

  private finishRun(queued: Queued, ok: boolean, outcome: unknown): void {
    this.running -= 1;
    this.settle(queued, ok, outcome);
    this.pump();
  }

  private settle(queued: Queued, ok: boolean, outcome: unknown): void {
    if (queued.settled) return;
    queued.settled = true;
    this.clearWait(queued);
    if (ok) queued.resolve(outcome);
    else queued.reject(outcome);
  }

  private clearWait(queued: Queued): void {
    clearTimeout(queued.waitTimer);
    queued.waitTimer = undefined;
  }

  private stalled(queued: Queued, now: number): boolean {
    return this.stalledIn(queued, now) <= 0;
  }

  /**
   * How long until a job counts as held up behind the hashing threads (≤ 0: it does): running on one,
   * or waiting for one, past its stall bound while none of them has made progress for as long either —
   * finished a job, or started up (a new thread gets `THREAD_START_MS` for that) — so the threads
   * themselves are stalled (a busy machine). One slow job among threads that keep finishing others (a
   * login flood beside the API, the kernel favouring the event loop), or work behind a thread still
   * starting, is no reason to compete with the event loop at normal priority.
   */
  private stalledIn(queued: Queued, now: number): number {
    const bound = this.stallMs(queued);
    const threadsBound = this.startingUp > 0 ? Math.max(bound, THREAD_START_MS) : bound;
    return Math.max(
      (queued.onThreadSince ?? queued.enqueuedAt) + bound - now,
      this.lastThreadProgress + threadsBound - now,
    );
  }

  private remember(msPerCost: number): void {
    this.recentRuns.push(msPerCost);
    if (this.recentRuns.length > RECENT_RUNS) this.recentRuns.shift();
    this.quickestRun = Math.min(...this.recentRuns);
  }

  /** How long a job may wait for, or run on, a hashing thread before it counts as stalled: 8× what its cost took lately. */
  private stallMs(queued: Queued): number {
    if (this.recentRuns.length === 0) return FIRST_STALL_MS * Math.max(1, queued.cost / OWASP_COST);
    return Math.max(MIN_STALL_MS, STALL_FACTOR * this.quickestRun * queued.cost);
  }

  /** While work waits on hashing threads and a normal place is free, look again when it could count as stalled. */
  private armStallCheck(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (this.running >= this.slots || (this.queue.length === 0 && this.onThreads.size === 0)) return;
    let soonest = Number.POSITIVE_INFINITY;
    for (const q of this.queue) soonest = Math.min(soonest, this.stallMs(q));
    for (const q of this.onThreads) soonest = Math.min(soonest, this.stallMs(q));
    this.stallTimer = setTimeout(() => this.pump(), Math.max(1, soonest / 2));
    this.stallTimer.unref();
  }
}
