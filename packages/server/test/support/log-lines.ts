import { createLogger, type Logger } from '../../src/logger.js';

/** A real logger whose JSON lines the test can read. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: () => Array<Record<string, unknown>>; messages: () => string[] } {
  const raw: string[] = [];
  const logger = createLogger(level, { write: (line: string) => raw.push(line) });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, messages: () => lines().map((line) => String(line.msg)) };
}
