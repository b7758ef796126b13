import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level } from 'pino';
import { requestLines, type Logger, type RequestLineWriter } from '../logger.js';

/** Told of every answered request, errors and 404s included (the metrics count them by route pattern and status). */
export type RequestObserver = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * One log line per request, when it completes: request id, method, path (no query string), status,
 * duration. Written through the server's logger with the request id as a field, so a request that logs
 * nothing else never needs a logger of its own. Whatever else is told of each answered request (the
 * metrics) is called from here too: Fastify calls this for every request, and an `onResponse` hook
 * would run through its hook runner as well, a closure and a callback per request.
 */
export class RequestLog extends LogController {
  /**
   * How request lines are written: in one template where the logger is Tessera's own (`requestLines`),
   * otherwise through a logger of their own, the same output without the redaction pass. A request line
   * holds only what the `req` and `res` serializers pick (id, method, path without its query, address,
   * status), never a header or a body, so there is nothing to redact — and redaction was most of the
   * line's cost (12 µs of 14, once per request). Lines with an error go through the redacting logger.
   */
  private readonly line: RequestLineWriter;

  private observers: RequestObserver[] = [];

  constructor(private readonly logger: Logger) {
    super();
    const label = this.requestIdLogLabel;
    this.line = requestLines(logger, label) ?? pinoRequestLines(logger.child({}, { redact: { paths: [] } }), label);
  }

  /** Calls `observer` once for every request answered from now on, before its log line is written. */
  observe(observer: RequestObserver): void {
    this.observers = [...this.observers, observer];
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    for (const observer of this.observers) {
      // Called from the response's 'finish' event, where a throw would end the process: an observer's
      // fault is logged, and the request still gets its line.
      try {
        observer(request, reply);
      } catch (fault) {
        this.logger.error({ err: fault }, 'request observer failed');
      }
    }
    if (!this.logger.isLevelEnabled(error ? 'error' : 'info')) return;
    if (error) {
      const line = { [this.requestIdLogLabel]: request.id, req: request, res: reply, ms: Math.round(reply.elapsedTime) };
      this.logger.error({ ...line, err: error }, 'request errored');
    } else this.line(request.id, request, reply, Math.round(reply.elapsedTime));
  }
}

/** Request lines through pino, for a logger `requestLines` does not know. */
function pinoRequestLines(lines: Logger, label: string): RequestLineWriter {
  return (id, request, reply, ms) => lines.info({ [label]: id, req: request, res: reply, ms }, 'request');
}

/**
 * `request.log`: the request's child logger (bound to its id), made only when something is logged
 * through it. Making a pino child for every request, redaction and serializers included, was about 2%
 * of the CPU of a cached GET; most requests never use it. Its methods live on the prototype, so a
 * request that logs nothing costs one small object.
 */
export function lazyRequestLogger(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}

const LEVELS: Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

class LazyRequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.logger.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  silent(): void {}

  child(more: Bindings, moreOptions?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(more, moreOptions);
  }

  /** What each level's method (fatal … trace, defined below on the prototype) does. */
  write(level: Level, args: unknown[]): void {
    if (this.made === undefined && !this.logger.isLevelEnabled(level)) return;
    (this.real()[level] as (...a: unknown[]) => void)(...args);
  }

  private real(): FastifyBaseLogger {
    return (this.made ??= this.logger.child(this.bindings, this.options) as FastifyBaseLogger);
  }
}

for (const level of LEVELS) {
  Object.defineProperty(LazyRequestLogger.prototype, level, {
    value(this: LazyRequestLogger, ...args: unknown[]): void {
      this.write(level, args);
    },
  });
}
