import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The nice value of hashing threads: the event loop (nice 0) runs first whenever both want a core. */
export const HASHING_NICE = 5;

/**
 * Runs in each hashing thread: lowers the thread's own scheduling priority (on Linux a thread's nice
 * value is its own), then hashes and verifies with @node-rs/argon2 synchronously, on this thread.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
try { require('node:os').setPriority(0, workerData.nice); } catch {}
const argon2 = require(workerData.argon2);
parentPort.on('message', ({ id, op, password, hash, options }) => {
  try {
    const result = op === 'hash' ? argon2.hashSync(password, options) : argon2.verifySync(hash, password);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});`;

type Job = { op: 'hash'; password: string; options: object } | { op: 'verify'; hash: string; password: string };
interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  thread: Worker;
}

/**
 * A pool of worker threads of low scheduling priority that compute argon2id: password hashing can use
 * every core while the event loop, at normal priority, still gets a core the moment it has work —
 * logins no longer wait on a single core, and API requests no longer wait behind logins. Threads start
 * on first use and never keep the process alive. The caller bounds how many jobs run at once (at most
 * one per thread).
 */
export class HashingThreads {
  private readonly idle: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private started = 0;
  private nextId = 0;
  private readonly argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');

  constructor(private readonly size: number) {}

  hash(password: string, options: object): Promise<string> {
    return this.run({ op: 'hash', password, options }) as Promise<string>;
  }

  /** Throws when the stored hash cannot be parsed. */
  verify(hash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    const threads = [...this.idle, ...[...this.pending.values()].map((p) => p.thread)];
    this.idle.length = 0;
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  private run(job: Job): Promise<unknown> {
    const thread = this.idle.pop() ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, thread });
      thread.ref();
      thread.postMessage({ id, ...job });
    });
  }

  private start(): Worker {
    if (this.started >= this.size) throw new Error(`more than ${this.size} hashing jobs at once`);
    this.started += 1;
    const thread = new Worker(THREAD_SOURCE, { eval: true, workerData: { argon2: this.argon2, nice: HASHING_NICE } });
    thread.unref();
    thread.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
      const job = this.pending.get(id);
      if (!job) return;
      this.pending.delete(id);
      thread.unref();
      this.idle.push(thread);
      if (error === undefined) job.resolve(result);
      else job.reject(new Error(error));
    });
    // A thread that dies fails its job and is replaced on the next one.
    thread.on('error', () => undefined);
    thread.on('exit', () => {
      this.started -= 1;
      const index = this.idle.indexOf(thread);
      if (index >= 0) this.idle.splice(index, 1);
      for (const [id, job] of this.pending) {
        if (job.thread !== thread) continue;
        this.pending.delete(id);
        job.reject(new Error('the hashing thread stopped'));
      }
    });
    return thread;
  }
}
