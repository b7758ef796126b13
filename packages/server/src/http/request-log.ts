import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level } from 'pino';
import type { Logger } from '../logger.js';

/**
 * One log line per request, when it completes: request id, method, path (no query string), status,
 * duration. Written through the server's logger with the request id as a field, so a request that logs
 * nothing else never needs a logger of its own.
 */
export class RequestLog extends LogController {
  constructor(private readonly logger: Logger) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!this.logger.isLevelEnabled(error ? 'error' : 'info')) return;
    const line = { [this.requestIdLogLabel]: request.id, req: request, res: reply, ms: Math.round(reply.elapsedTime) };
    if (error) this.logger.error({ ...line, err: error }, 'request errored');
    else this.logger.info(line, 'request');
  }
}

const LEVELS: Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * `request.log`: the request's child logger (bound to its id), made only when something is logged
 * through it. Making a pino child for every request, redaction and serializers included, was about 2%
 * of the CPU of a cached GET; most requests never use it.
 */
export function lazyRequestLogger(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = () => (child ??= logger.child(bindings, options) as FastifyBaseLogger);
  const lazy = {
    get level() {
      return child?.level ?? logger.level;
    },
    set level(level: string) {
      real().level = level;
    },
    silent: () => undefined,
    child: (more: Bindings, moreOptions?: ChildLoggerOptions) => real().child(more, moreOptions),
  } as unknown as FastifyBaseLogger;
  for (const level of LEVELS) {
    (lazy as unknown as Record<Level, (...args: unknown[]) => void>)[level] = (...args: unknown[]) => {
      if (child === undefined && !logger.isLevelEnabled(level)) return;
      (real()[level] as (...a: unknown[]) => void)(...args);
    };
  }
  return lazy;
}
