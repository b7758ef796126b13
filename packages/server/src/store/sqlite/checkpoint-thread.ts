import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * The log size (pages) at which a connection that checkpoints itself does so, inside the commit that
 * passes it: what the serving connection goes back to if its checkpoint thread fails. A refresh writes
 * ~6–14 pages, so this is about a thousand refreshes.
 */
export const AUTOMATIC_CHECKPOINT_PAGES = 10_000;

export interface CheckpointThreadOptions {
  /** Told once, if checkpoints go back to the serving connection (the thread failed). */
  onWarning: (message: string) => void;
  /** Least time between two checkpoints while writes go on. */
  intervalMs?: number;
  /** The log's length (pages) at which writes pause, briefly, so that the log can start over. */
  restartPages?: number;
  /** A thread with nothing to do for this long ends; the next write starts another. */
  idleMs?: number;
  /** Where the thread loads better-sqlite3 from (the one this process uses, unless told otherwise). */
  sqliteModule?: string;
}

/** A checkpoint's outcome: pages in the log, how many of them are in the database file now, and whether writes were paused for it. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
  paused: boolean;
}

/**
 * Stops new writes of this process to the file and waits for those under way to commit; the function it
 * resolves to lets writes go on. Provided by the driver, which knows its transactions.
 */
export type QuiesceWrites = () => Promise<() => void>;

/** How long a checkpoint may take before the thread is given up on (a disk sync can be slow, not this slow). */
const SILENT_MS = 30_000;
/** Checkpoints in a row that may fail before the thread is given up on. */
const FAILURES_ALLOWED = 5;

/**
 * The thread's code: its own connection to the file, and for each request a PASSIVE checkpoint, which
 * copies into the database file what no reader still needs from the log and syncs it, without waiting
 * for or holding up any reader or writer. Told to stop, it closes its connection and ends.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
parentPort.on('message', (message) => {
  if (message === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: message.id, result: db.pragma('wal_checkpoint(PASSIVE)')[0] });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String((error && error.message) || error) });
  }
});
`;

/**
 * Checkpoints of a SQLite file in WAL mode, made by a thread with its own connection, so that no commit
 * on the event loop copies the log into the database file and waits for the disk (on a busy disk, tens
 * to hundreds of milliseconds during which no request is served). The serving connection's automatic
 * checkpoint is off (`wal_autocheckpoint = 0`) while the thread works.
 *
 * While writes go on, the thread checkpoints at most once per `intervalMs`, off the event loop. SQLite
 * starts the log over only when a write begins after a checkpoint that copied all of it, which steady
 * writes never allow; so once the log is `restartPages` long, the event loop lets the transactions under
 * way commit and starts no new one (reads go on) until one more checkpoint has copied what was committed
 * since the last one began: the next write then starts the log over (and syncs its header, a few ms).
 * Writes wait for that checkpoint however long the disk takes, so a slow disk slows the writers rather
 * than letting the log grow. A reader of another process that still needs old pages, or another process
 * writing too, can keep the log from starting over: after a pause that did not let it, the next waits
 * until the log has grown by `restartPages` more (or has started over meanwhile). The thread starts with
 * the first write and ends after `idleMs` without one, so an idle server has no thread and no timer.
 *
 * If the thread cannot start, stops, fails `FAILURES_ALLOWED` times in a row or goes silent, the serving
 * connection checkpoints itself again every `AUTOMATIC_CHECKPOINT_PAGES`, with one warning.
 */
export class CheckpointThread {
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly replies = new Map<number, { resolve: (result: CheckpointResult) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private readonly intervalMs: number;
  private readonly restartPages: number;
  private readonly idleMs: number;
  private readonly sqliteModule: string;
  /** The checkpoint (and pause) under way, if any. */
  private running: Promise<void> | null = null;
  private lastRun = Number.NEGATIVE_INFINITY;
  private due: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private failures = 0;
  /**
   * The log's length at the last pause, until the log is seen to start over. While it has not (a reader
   * of another process holds old pages, or another process writes too), the next pause waits until the
   * log has grown by `restartPages` more: it would most likely not help either.
   */
  private pausedAt: number | null = null;
  /** The last thread started: `stop()` waits for it to end, even one ending after an idle time or a fall-back. */
  private lastWorker: Worker | null = null;
  /** A write came while a checkpoint was under way: another is due after it. */
  private wroteSince = false;
  private stopped = false;
  private fellBack = false;
  private readonly listeners = new Set<(result: CheckpointResult) => void>();

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly quiesce: QuiesceWrites,
    private readonly options: CheckpointThreadOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.restartPages = options.restartPages ?? AUTOMATIC_CHECKPOINT_PAGES;
    this.idleMs = options.idleMs ?? 5000;
    this.sqliteModule = options.sqliteModule ?? createRequire(import.meta.url).resolve('better-sqlite3');
    this.db.pragma('wal_autocheckpoint = 0');
  }

  /** Whether a thread is running now (it starts with a write and ends when idle). */
  get threadRunning(): boolean {
    return this.worker !== null;
  }

  /** Calls `listener` with the outcome of each checkpoint the thread makes (tests watch the thread with it). */
  onCheckpoint(listener: (result: CheckpointResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told after each commit of this process: checkpoints once `intervalMs` has passed since the last. */
  wrote(): void {
    if (this.running) this.wroteSince = true;
    if (this.stopped || this.fellBack || this.running || this.due) return;
    const wait = this.lastRun + this.intervalMs - performance.now();
    if (wait <= 0) return this.start();
    this.due = setTimeout(() => {
      this.due = undefined;
      if (!this.running) this.start();
    }, wait);
    this.due.unref();
  }

  /**
   * Ends the thread once the checkpoint under way is done, so that the serving connection is the last one
   * and its own close copies the whole log into the file and removes it, as without the thread.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.due);
    clearTimeout(this.idle);
    await this.running;
    await this.endThread();
    // A thread already ending (idle, or after a fall-back) still has its connection open until it exits.
    await this.lastThreadEnded();
  }

  private start(): void {
    clearTimeout(this.idle);
    this.wroteSince = false;
    this.running = this.cycle().finally(() => {
      this.running = null;
      this.lastRun = performance.now();
      if (this.stopped || this.fellBack) return;
      this.idle = setTimeout(() => void this.endThread(), this.idleMs);
      this.idle.unref();
      // What was committed during this checkpoint is copied by the next, even if no write follows.
      if (this.wroteSince) this.wrote();
    });
  }

  private async cycle(): Promise<void> {
    try {
      const result = await this.checkpoint(false);
      // -1: another connection was checkpointing; nothing is known of the log.
      if (result.log < 0) return;
      if (this.pausedAt !== null && result.log < this.pausedAt) this.pausedAt = null;
      if (result.log < (this.pausedAt ?? 0) + this.restartPages) return;
      const resume = await this.quiesce();
      try {
        // Copies what was committed since the checkpoint above began; once it is done, the next write
        // starts the log over. Writes wait for it as long as the disk takes (up to SILENT_MS): they are
        // what fills the log.
        this.pausedAt = (await this.checkpoint(true)).log;
      } finally {
        resume();
      }
    } catch (error) {
      this.failures += 1;
      if (error instanceof ThreadSilent || this.failures >= FAILURES_ALLOWED) this.fallBack(String((error as Error).message));
    }
  }

  /** One PASSIVE checkpoint by the thread (started if need be). */
  private checkpoint(paused: boolean): Promise<CheckpointResult> {
    let worker = this.worker;
    if (!worker) {
      try {
        worker = this.startThread();
      } catch (error) {
        this.fallBack(`could not start (${(error as Error).message})`);
        return Promise.reject(error);
      }
    }
    const id = (this.nextId += 1);
    return new Promise<CheckpointResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new ThreadSilent());
      }, SILENT_MS);
      this.replies.set(id, {
        resolve: (result) => {
          clearTimeout(timer);
          this.failures = 0;
          const outcome = { ...result, paused };
          for (const listener of this.listeners) listener(outcome);
          resolve(outcome);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.postMessage({ id });
    });
  }

  private startThread(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.path, sqliteModule: this.sqliteModule } });
    worker.unref();
    this.worker = worker;
    this.lastWorker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: { id: number; result?: CheckpointResult; error?: string }) => {
      const reply = this.replies.get(message.id);
      this.replies.delete(message.id);
      if (message.result) reply?.resolve(message.result);
      else reply?.reject(new Error(`checkpoint failed: ${message.error}`));
    });
    worker.on('error', (error) => this.threadEnded(worker, `failed: ${error.message}`));
    worker.on('exit', () => this.threadEnded(worker, 'stopped'));
    return worker;
  }

  /** A thread that ends unasked fails what it was asked; the serving connection checkpoints itself from then on. */
  private threadEnded(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const reply of this.replies.values()) reply.reject(new Error(`checkpoint thread ${reason}`));
    this.replies.clear();
    if (!this.stopped) this.fallBack(reason);
  }

  /** Ends the thread (asked to, or idle); the next write starts another. */
  private async endThread(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.running) return;
    this.worker = null;
    worker.postMessage('stop');
    await this.lastThreadEnded();
  }

  /**
   * Waits for the last thread started to exit, holding the process open meanwhile: it does not end before
   * the thread has closed its connection (nor before the serving connection's close). A thread that does
   * not answer is ended: it holds no transaction, only a connection.
   */
  private async lastThreadEnded(): Promise<void> {
    const last = this.lastWorker;
    if (!last) return;
    last.ref();
    const ended = setTimeout(() => void last.terminate(), 5000);
    await this.exited;
    clearTimeout(ended);
  }

  /** The connection checkpoints itself again, as it does without the thread: the log stays bounded. */
  private fallBack(reason: string): void {
    if (this.fellBack) return;
    this.fellBack = true;
    clearTimeout(this.due);
    clearTimeout(this.idle);
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
    try {
      this.options.onWarning(
        `SQLite checkpoint thread ${reason}: the server copies the write-ahead log into the database itself from now on, every ${AUTOMATIC_CHECKPOINT_PAGES} pages`,
      );
    } catch {
      // A warning that cannot be told changes nothing of the above.
    }
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      worker.postMessage('stop');
      setTimeout(() => void worker.terminate(), 5000).unref();
    }
  }
}

/** The thread did not answer within `SILENT_MS`. */
class ThreadSilent extends Error {
  constructor() {
    super(`did not answer within ${SILENT_MS / 1000} s`);
  }
}
