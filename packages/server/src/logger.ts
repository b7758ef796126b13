import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Lines are gathered up to this many bytes per write... */
const LOG_BATCH_BYTES = 4096;
/** ...and written at least this often, so a quiet server's lines are never held long. */
const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * Standard output without blocking, in batches: a line joins the next write of up to 4 KiB, written
 * when it fills or within 250 ms. One write per request line — whether blocking or handed to the
 * thread pool — was the largest single cost of a cached GET (8–9% of the server's CPU); lines arrive
 * in the same order and format, a fraction of a second later at most. What is pending is written
 * before the process exits (a process killed outright loses at most that fraction of a second).
 */
export function stdoutBatches(): DestinationStream {
  return (stdout ??= batchedStdout());
}

/** One per process, however many servers it runs (tests start many): one file descriptor, one timer. */
let stdout: DestinationStream | undefined;

function batchedStdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES });
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Not open yet, or a write under way: the next tick takes it.
    }
  }, LOG_FLUSH_INTERVAL_MS).unref();
  return destination;
}

/**
 * Structured JSON logs. Request lines carry the method, the path without its query string, and the
 * client address; headers, cookies and bodies are never serialised, so tokens and passwords cannot leak.
 * By default to standard output in batches (`stdoutBatches`).
 */
export function createLogger(level: string, destination: DestinationStream = stdoutBatches()): Logger {
  return pino(
    {
      level,
      base: { service: 'tessera' },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
          ip: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      redact: {
        paths: ['*.password', '*.refresh_token', '*.access_token', '*.authorization', '*.cookie', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
