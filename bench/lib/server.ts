import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processRssBytes } from './process-usage.js';
import { seedUsers } from './seed-users.js';

const BIN = resolve(import.meta.dirname, '../../packages/server/bin/tessera.js');
/** The JWT_SECRET of every benchmark server (and of anything joining their database). */
export const BENCH_SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export interface BenchServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resident set size of the server process, in bytes (from /proc). */
  rss(): number;
  stop(): Promise<void>;
}

/** Ends a child process (SIGTERM) and waits for it; at once when it has already exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `tessera serve` in its own process on a fresh SQLite database (development mode, so the
 * seed's test/test123 user exists). The rate limit is off unless `env` sets it: benchmarks measure
 * throughput, not the limiter.
 */
export async function startBenchServer(
  env: Record<string, string> = {},
  options: { users?: number; script?: string; bin?: string } = {},
): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const port = await freePort();
  if (options.users) await seedUsers(join(dir, 'tessera.db'), options.users);
  const nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  // The product's own entry point (or another checkout's, `bin`) unless a scenario brings a server script
  // of its own (TypeScript through tsx).
  const entry = options.script ? [...(options.script.endsWith('.ts') ? ['--import', 'tsx'] : []), options.script] : [options.bin ?? BIN, 'serve'];
  const child = spawn(process.execPath, [...nodeOptions, ...entry], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      JWT_SECRET: BENCH_SECRET,
      // Every load-generator connection comes from 127.0.0.1: the benchmarks measure throughput, not the
      // per-address limits (login budget, refresh ceilings, connection cap).
      AUTH_RATE_LIMIT: '0',
      REFRESH_RATE_LIMIT: '0',
      REFRESH_IP_RATE_LIMIT: '0',
      MAX_CONNECTIONS_PER_IP: '0',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      // One issuer for every server of a fleet, whatever port each listens on.
      PUBLIC_URL: 'http://127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child);
  } catch (error) {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    pid: child.pid!,
    child,
    rss: () => processRssBytes(child.pid!),
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the server at `url` answers `GET /readyz` (30 s at most); throws if it exits first. */
export async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready in 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
