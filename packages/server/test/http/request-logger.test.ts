import { Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RequestLog, lazyRequestLogger } from '../../src/http/request-log.js';
import { createLogger } from '../../src/logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('a request’s logger', () => {
  it('writes lines bound to the request id, redacted like every other line', async () => {
    const { lines, logger } = capture();
    const log = lazyRequestLogger(logger, { reqId: 'req-1' }, {});
    log.warn({ body: { password: 'hunter2' } }, 'odd request');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: 'req-1', msg: 'odd request', level: 40, body: { password: '[redacted]' } });
  });

  it('writes nothing below the configured level, and reports that level', async () => {
    const { lines, logger } = capture();
    const log = lazyRequestLogger(logger, { reqId: 'req-2' }, {});
    log.debug('not shown');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(0);
    expect(log.level).toBe('info');
    log.child({ step: 'two' }).info('shown');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ reqId: 'req-2', step: 'two', msg: 'shown' });
  });
});

describe('request lines', () => {
  /** The lines a logger writes, as text, with the time of each set to 0. */
  function rawLines(level = 'info') {
    const lines: string[] = [];
    const logger = createLogger(level, { write: (line: string) => void lines.push(line.replace(/"time":\d+/, '"time":0')) });
    return { lines, logger };
  }
  const answered = (url: string, ip: string | undefined) => ({
    request: { id: 'edge-7f3a.1:2', method: 'GET', url, ip } as unknown as FastifyRequest,
    reply: { statusCode: 404, elapsedTime: 2.6 } as unknown as FastifyReply,
  });

  it('are written character for character as pino writes the same fields, quotes and all', () => {
    for (const [url, ip] of [
      ['/healthz?token=abc', '127.0.0.1'],
      ['/quote"and\\backslash/é/\u2028?x=1', '::1'],
      ['/no-address', undefined],
    ] as const) {
      const { lines, logger } = rawLines();
      const { request, reply } = answered(url, ip);
      new RequestLog(logger).requestCompleted(null, request, reply);
      logger.info({ reqId: request.id, req: request, res: reply, ms: 3 }, 'request');
      expect(lines).toHaveLength(2);
      expect(lines[0], url).toBe(lines[1]);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, service: 'tessera', reqId: 'edge-7f3a.1:2', res: { statusCode: 404 }, ms: 3, msg: 'request' });
    }
  });

  it('follow the logger’s level, even when it changes while serving', () => {
    const { lines, logger } = rawLines('warn');
    const requests = new RequestLog(logger);
    const { request, reply } = answered('/healthz', '127.0.0.1');
    requests.requestCompleted(null, request, reply);
    expect(lines).toHaveLength(0);
    logger.level = 'info';
    requests.requestCompleted(null, request, reply);
    expect(lines).toHaveLength(1);
  });

  it('reach the right stream of a pino multistream, which routes lines by their level', () => {
    const info: string[] = [];
    const errors: string[] = [];
    const logger = createLogger(
      'info',
      pino.multistream([
        { level: 'info', stream: { write: (line: string) => void info.push(line) } },
        { level: 'error', stream: { write: (line: string) => void errors.push(line) } },
      ]),
    );
    const requests = new RequestLog(logger);
    const { request, reply } = answered('/healthz', '127.0.0.1');
    requests.requestCompleted(null, request, reply);
    logger.error('something broke');
    requests.requestCompleted(null, request, reply);
    expect(info.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['request', 'something broke', 'request']);
    expect(errors.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['something broke']);
  });

  it('are still written when an observer of answered requests throws, and the fault is logged', () => {
    const { lines, logger } = rawLines();
    const requests = new RequestLog(logger);
    requests.observe(() => {
      throw new Error('observer bug');
    });
    const { request, reply } = answered('/healthz', '127.0.0.1');
    expect(() => requests.requestCompleted(null, request, reply)).not.toThrow();
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['request observer failed', 'request']);
  });
});
