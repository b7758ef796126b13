import type { Readable, Writable } from 'node:stream';

/** Where a command reads and writes; tests pass their own streams and environment. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

export const processIo = (): CliIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

export { CliError } from '../errors.js';

/** Reads standard input to its end (a password piped in), without its trailing newline. */
export async function readStdin(io: CliIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}
