import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * The log size (pages) at which a connection checkpoints itself: what the serving connection goes back
 * to when no thread checkpoints for it. A refresh writes ~14 pages, so this is ~700 refreshes.
 */
export const AUTOMATIC_CHECKPOINT_PAGES = 10_000;

export interface BackgroundCheckpointOptions {
  /** Told once, when checkpoints go back to the serving connection (the thread failed or fell behind). */
  onWarning: (message: string) => void;
  /** Time between two checkpoints by the thread. */
  intervalMs?: number;
  /** The log's length (pages) at which the thread has it start over (a RESTART checkpoint). */
  restartPages?: number;
  /** Where the thread loads better-sqlite3 from (the one this process uses, unless told otherwise). */
  sqliteModule?: string;
}

/**
 * A checkpoint's outcome: pages in the log, and how many of them are now in the database file; `busy` 1
 * when it could not finish (a RESTART that found a transaction or a reader in the way).
 */
export interface CheckpointResult {
  mode: 'PASSIVE' | 'RESTART';
  busy: number;
  log: number;
  checkpointed: number;
}

/** How long the thread may go without a report before it is given up on (a checkpoint's sync can be slow). */
const SILENT_MS = 30_000;
/** Checkpoints in a row that may leave the log this long before the connection checkpoints itself too. */
const BEHIND_ATTEMPTS = 5;
/** Tries, a few milliseconds apart, to start the log over once it is `restartPages` long. */
const RESTART_TRIES = 50;

/**
 * The thread's code: its own connection to the file, and every `intervalMs` a PASSIVE checkpoint, which
 * copies what no reader still needs from the log into the database file and syncs it without waiting
 * for or holding up a writer or a reader. Under steady writes such a checkpoint is never complete when
 * the next write begins, and SQLite starts the log over only then: so once the log is `restartPages`
 * long, a RESTART checkpoint follows at once (the copy is then all but done), tried without waiting
 * (busy_timeout 0) and again a few milliseconds later while a transaction or a reader is in the way.
 * It holds the write lock only while it copies the frames committed since the PASSIVE one (usually
 * none) and checks that no reader is in the log; then the next write begins the log again. Each
 * outcome is reported; told to stop, it closes its connection and exits.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
let timer;
const checkpoint = (mode) => {
  try {
    const result = db.pragma('wal_checkpoint(' + mode + ')')[0];
    parentPort.postMessage({ result: { ...result, mode } });
    return result;
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
    return undefined;
  }
};
const restart = (tries) => {
  const result = checkpoint('RESTART');
  if (result && result.busy && tries > 1) timer = setTimeout(() => restart(tries - 1), 2);
  else timer = setTimeout(tick, workerData.intervalMs);
};
const tick = () => {
  const result = checkpoint('PASSIVE');
  if (result && result.log >= workerData.restartPages) restart(workerData.restartTries);
  else timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
timer = setTimeout(tick, workerData.intervalMs);
`;

/**
 * Checkpoints of a SQLite file in WAL mode made by a thread of their own, so that no commit on the event
 * loop copies the log into the database file and syncs it. While the thread runs, the serving
 * connection's automatic checkpoint is off (`wal_autocheckpoint = 0`). It comes back on, with a warning
 * logged once, if the thread cannot start, stops, goes silent, or stays `AUTOMATIC_CHECKPOINT_PAGES`
 * behind for several checkpoints in a row (a reader of another process holding old pages): the log is
 * then bounded as it was before, by the connection itself.
 */
export class BackgroundCheckpoints {
  /** Resolves true once the thread checkpoints, false if the connection checkpoints itself instead. */
  readonly started: Promise<boolean>;
  private readonly worker: Worker | null = null;
  private readonly listeners = new Set<(result: CheckpointResult) => void>();
  private readonly watchdog: NodeJS.Timeout;
  private lastReport = Date.now();
  private behind = 0;
  private stopping = false;
  private fellBack = false;
  /** The serving connection checkpoints itself too while the thread's checkpoints fall behind. */
  private helped = false;
  private warned = false;
  private resolveStarted!: (running: boolean) => void;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database.Database,
    path: string,
    private readonly options: BackgroundCheckpointOptions,
  ) {
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    const intervalMs = options.intervalMs ?? 250;
    const restartPages = options.restartPages ?? 4000;
    const sqliteModule = options.sqliteModule ?? createRequire(import.meta.url).resolve('better-sqlite3');
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastReport > SILENT_MS) this.fallBack('stopped answering');
    }, intervalMs);
    this.watchdog.unref();
    try {
      this.worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { path, intervalMs, restartPages, restartTries: RESTART_TRIES, sqliteModule },
      });
    } catch (error) {
      this.fallBack(`could not start (${String(error)})`);
      return;
    }
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker!.once('exit', () => resolve()));
    this.worker.on('message', (message: { ready?: true; result?: CheckpointResult; error?: string }) => {
      this.lastReport = Date.now();
      if (message.ready) {
        if (this.fellBack || this.stopping) return;
        this.db.pragma('wal_autocheckpoint = 0');
        this.resolveStarted(true);
      } else if (message.result) {
        const { mode, log } = message.result;
        if (mode === 'PASSIVE') this.judge(log >= AUTOMATIC_CHECKPOINT_PAGES, `left ${log} pages in the log`);
        for (const listener of this.listeners) listener(message.result);
      } else if (message.error !== undefined) {
        this.judge(true, `failed: ${message.error}`);
      }
    });
    this.worker.on('error', (error) => this.fallBack(`failed: ${error.message}`));
    this.worker.on('exit', () => this.fallBack('stopped'));
  }

  /** Calls `listener` with the outcome of each checkpoint the thread makes (tests watch the thread with it). */
  onCheckpoint(listener: (result: CheckpointResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops the thread and waits for it to close its connection, so that the serving connection is the
   * last one and its own close checkpoints the whole log into the file, as without the thread.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    this.resolveStarted(false);
    if (!this.worker) return;
    this.worker.postMessage('stop');
    const ended = setTimeout(() => void this.worker?.terminate(), 5000);
    await this.exited;
    clearTimeout(ended);
  }

  /**
   * After `BEHIND_ATTEMPTS` checkpoints in a row that failed or left the log `AUTOMATIC_CHECKPOINT_PAGES`
   * long (a reader of another process holding old pages in it), the serving connection checkpoints
   * itself too, as without the thread; it stops again once the thread's checkpoint brings the log back.
   */
  private judge(behind: boolean, reason: string): void {
    if (this.fellBack || this.stopping || !this.db.open) return;
    this.behind = behind ? this.behind + 1 : 0;
    if (this.behind === BEHIND_ATTEMPTS) {
      this.db.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
      this.warn(`${reason} ${BEHIND_ATTEMPTS} times in a row`, 'while it is that long');
    } else if (this.behind === 0 && this.helped) {
      this.db.pragma('wal_autocheckpoint = 0');
    }
    this.helped = this.behind >= BEHIND_ATTEMPTS;
  }

  private warn(reason: string, until = 'from now on'): void {
    if (this.warned) return;
    this.warned = true;
    this.options.onWarning(
      `SQLite checkpoint thread ${reason}: the server checkpoints the write-ahead log itself too, every ${AUTOMATIC_CHECKPOINT_PAGES} pages, ${until}`,
    );
  }

  /** The connection checkpoints itself again, as it did before the thread: the log stays bounded. */
  private fallBack(reason: string): void {
    clearInterval(this.watchdog);
    this.resolveStarted(false);
    if (this.stopping || this.fellBack) return;
    this.fellBack = true;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
    this.warn(reason);
    if (this.worker) {
      this.worker.postMessage('stop');
      // A thread that does not answer is ended: it holds no transaction, only a connection.
      setTimeout(() => void this.worker?.terminate(), 5000).unref();
    }
  }
}
