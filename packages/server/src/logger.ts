import { writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Lines are gathered up to about this many characters per write... */
const LOG_BATCH_CHARS = 16_000;
/** ...and written at least this often, so a quiet server's lines are never held long. */
const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * Standard output in batches: a line joins the next write of up to 16 kB, written when it fills or
 * within 250 ms. One write per request line was the largest single cost of a cached GET (8–9% of the
 * server's CPU); one per batch is a sixtieth of that. Each batch is written synchronously, as pino's
 * own destination does by default: a write handed to the thread pool could still be in flight when the
 * process dies, and its lines were lost (a test crashes a process mid-stream). Lines arrive in the same
 * order and format, a fraction of a second later at most; what is pending is written before the
 * process exits (a process killed outright loses at most that fraction of a second).
 */
export function stdoutBatches(): DestinationStream {
  return (stdout ??= batchedStdout());
}

/** One per process, however many servers it runs (tests start many): one file descriptor, one timer. */
let stdout: DestinationStream | undefined;

function batchedStdout(): DestinationStream {
  const batch = new LineBatch(pino.destination({ dest: 1, sync: true }));
  setInterval(() => batch.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  process.on('exit', () => batch.flushSync());
  return batch;
}

/**
 * Lines gathered in an array and handed to SonicBoom (pino's destination: partial writes and EAGAIN
 * handled) as one string per batch. SonicBoom batching by itself (`minLength`) measures the byte length
 * of its whole growing buffer on every line: 2.1–2.7 µs of CPU per request line against 0.6–1.0 µs
 * this way (`bench/` micro-run, issue 18).
 */
class LineBatch implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly destination: ReturnType<typeof pino.destination>) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= LOG_BATCH_CHARS) this.flush();
  }

  /** Writes what is gathered, as one string. */
  flush(callback?: (error?: Error) => void): void {
    try {
      if (this.lines.length > 0) {
        const batch = this.lines.join('');
        this.lines = [];
        this.chars = 0;
        this.destination.write(batch);
      }
      callback?.();
    } catch (error) {
      // Standard output closed: nothing can be written.
      callback?.(error as Error);
    }
  }

  /** At exit, with no event loop left: what is gathered, written straight to the file descriptor. */
  flushSync(): void {
    try {
      for (const line of this.lines) writeAllSync(1, line);
      this.lines = [];
    } catch {
      // Standard output closed or never opened: nothing can be written.
    }
  }
}

/** Writes all of `text` to `fd`, retrying partial writes and a non-blocking pipe's EAGAIN. */
function writeAllSync(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

/** A request's URL without its query string (without the array `split` makes for every request line). */
function pathOf(url: string | undefined): string | undefined {
  const query = url?.indexOf('?') ?? -1;
  return query === -1 ? url : url!.slice(0, query);
}

/** What a log line says of a request and of its response (`req` and `res` fields). */
const serializers = {
  req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
    id: req.id,
    method: req.method,
    path: pathOf(req.url),
    ip: req.ip,
  }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
};

/** Fields of every line. */
const BASE = { service: 'tessera' };

/** Loggers made by `createLogger` (their options are those below), and where each writes. */
const destinations = new WeakMap<Logger, DestinationStream>();

/**
 * Structured JSON logs. Request lines carry the method, the path without its query string, and the
 * client address; headers, cookies and bodies are never serialised, so tokens and passwords cannot leak.
 * By default to standard output in batches (`stdoutBatches`).
 */
export function createLogger(level: string, destination: DestinationStream = stdoutBatches()): Logger {
  const logger = pino(
    {
      level,
      base: BASE,
      serializers,
      redact: {
        paths: ['*.password', '*.refresh_token', '*.access_token', '*.authorization', '*.cookie', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
  destinations.set(logger, destination);
  return logger;
}

/** Writes one request line: `{ [label]: id, req, res, ms }` with the message `request`, at level info. */
export type RequestLineWriter = (id: string, request: Parameters<typeof serializers.req>[0], reply: Parameters<typeof serializers.res>[0], ms: number) => void;

/**
 * The line `logger.info({ [label]: id, req: request, res: reply, ms }, 'request')` writes, character for
 * character, made in one template: the same fields in the same order, the same serializers, the values
 * quoted by JSON.stringify as pino quotes them. pino's generic path (its serializer lookup and quoting
 * for each field, its format pass over the message) took about 10% of the CPU of a cached GET, the
 * request line being the one line every request writes. Only for a logger made by `createLogger`, whose
 * options are known here (no timestamp, mixin, formatter or message key of its own); for any other,
 * undefined: its lines go through pino. Request lines hold no header or body, so there is nothing to redact.
 * The caller checks that info lines are wanted.
 */
export function requestLines(logger: Logger, label: string): RequestLineWriter | undefined {
  const destination = destinations.get(logger);
  // A stream that routes lines by pino's metadata (pino.multistream) needs pino to write them.
  if (destination === undefined || (destination as unknown as Record<symbol, unknown>)[Symbol.for('pino.metadata')]) return undefined;
  const level = logger.levels.values.info!;
  const start = `{"level":${level},"time":`;
  const fields = `,${JSON.stringify(BASE).slice(1, -1)},${JSON.stringify(label)}:`;
  return (id, request, reply, ms) => {
    const req = JSON.stringify(serializers.req(request));
    const res = JSON.stringify(serializers.res(reply));
    destination.write(`${start}${Date.now()}${fields}${JSON.stringify(id)},"req":${req},"res":${res},"ms":${Number.isFinite(ms) ? ms : null},"msg":"request"}\n`);
  };
}
