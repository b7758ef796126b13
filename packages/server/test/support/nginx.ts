import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports.js';

/** The example configuration the deployment guide gives; the tests run this very file. */
export const NGINX_EXAMPLE = resolve(import.meta.dirname, '../../../../docs/nginx.conf');

export interface RunningNginx {
  url: string;
  /** The generated configuration, for failure messages. */
  config: string;
  stop(): Promise<void>;
}

/**
 * Runs an nginx master of the test's own (not the system service) on a free loopback port, with the
 * guide's example configuration pointed at `upstreamPorts`. Every response carries `X-Upstream`, the
 * instance that answered (`$upstream_addr`).
 */
export async function startNginx(upstreamPorts: number[]): Promise<RunningNginx> {
  const port = await freePort();
  return runNginx(pointAt(readFileSync(NGINX_EXAMPLE, 'utf8'), upstreamPorts, port), port, 'add_header X-Upstream $upstream_addr always;');
}

/**
 * Runs an nginx master of the test's own (never the system service) serving `site` (what goes inside
 * `http {}`), which must listen on `port`.
 */
export async function runNginx(site: string, port: number, httpExtras = ''): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  chmodSync(dir, 0o755); // worker processes run as an unprivileged user
  writeFileSync(join(dir, 'tessera.conf'), site);
  const main = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${httpExtras}
  include ${dir}/tessera.conf;
}
`;
  writeFileSync(join(dir, 'nginx.conf'), main);
  const child = spawn('nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForPort(port, child, () => `${stderr}\n${safeRead(join(dir, 'error.log'))}`);
  return {
    url: `http://127.0.0.1:${port}`,
    config: site,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example with its upstream servers replaced by ours and its listen address by a loopback port. */
function pointAt(example: string, upstreamPorts: number[], port: number): string {
  const server = /^(\s*)server \d+\.\d+\.\d+\.\d+:\d+ (.*);$/;
  const lines = example.split('\n');
  const first = lines.findIndex((line) => server.test(line));
  if (first < 0 || !example.includes('listen 80;')) throw new Error(`${NGINX_EXAMPLE} no longer has the expected shape`);
  const [, indent, options] = server.exec(lines[first]!)!;
  const ours = upstreamPorts.map((p) => `${indent}server 127.0.0.1:${p} ${options};`);
  const rest = lines.filter((line, i) => i < first || !server.test(line));
  rest.splice(first, 0, ...ours);
  return rest.join('\n').replace('listen 80;', `listen 127.0.0.1:${port};`);
}

async function waitForPort(port: number, child: ChildProcess, diagnostics: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${diagnostics()}`);
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}:\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
