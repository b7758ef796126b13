import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from '../../src/http/request-log.js';
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
