import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tessera ARGS` in this process (so coverage sees it) with its own streams and environment. */
export async function tessera(args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdin.end(input);
  const code = await main(['node', 'tessera', ...args], { stdin, stdout, stderr, env });
  return { code, stdout: out, stderr: err };
}
