import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer, stopOnSignals } from '../src/server.js';
import { testEnv } from './support/tessera.js';

class FakeProcess extends EventEmitter {
  private resolveExit: (code: number) => void = () => {};
  readonly exited = new Promise<number>((resolve) => (this.resolveExit = resolve));
  exit(code: number): void {
    this.resolveExit(code);
  }
}

describe('the server process', () => {
  it('listens on the configured port and stops cleanly on SIGTERM', async () => {
    const server = await startServer(loadConfig(testEnv().env), { logger: createLogger('silent') });
    const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(response.status).toBe(200);
    const fake = new FakeProcess();
    stopOnSignals(server, fake);
    fake.emit('SIGTERM', 'SIGTERM');
    expect(await fake.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it('exits 1 when stopping fails', async () => {
    const server = await startServer(loadConfig(testEnv().env), { logger: createLogger('silent') });
    const fake = new FakeProcess();
    const realStop = server.stop;
    server.stop = async () => {
      await realStop();
      throw new Error('store would not close');
    };
    stopOnSignals(server, fake);
    fake.emit('SIGINT', 'SIGINT');
    expect(await fake.exited).toBe(1);
  });

  it('releases the database when it cannot listen (port taken)', async () => {
    const first = await startServer(loadConfig(testEnv().env), { logger: createLogger('silent') });
    const second = loadConfig(testEnv({ PORT: String(first.port) }).env);
    await expect(startServer(second, { logger: createLogger('silent') })).rejects.toThrow(/EADDRINUSE/);
    await first.stop();
  });
});
