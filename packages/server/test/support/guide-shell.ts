import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './process.js';
import { PATIENCE_MS } from './wait.js';

/** A `## ` section of a Markdown guide and the `sh` code blocks in it, in order. */
export interface GuideSection {
  title: string;
  blocks: string[];
}

export function guideSections(markdown: string): GuideSection[] {
  return markdown
    .split(/^## /m)
    .slice(1)
    .map((chunk) => ({
      title: chunk.slice(0, chunk.indexOf('\n')).trim(),
      blocks: [...chunk.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!),
    }));
}

export interface BlockResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/**
 * One bash session in which a guide's blocks run in order, as an operator would type them into one
 * terminal (variables carry over). In its PATH, `npx tessera` runs this checkout's `bin/tessera.js`,
 * and `npm start` (re)starts `tessera serve` in the background — stopping the previous one first —
 * and returns once it answers /readyz (or fails at once if it exits). Everything else is the real thing: bash, curl, jq, openssl.
 */
export class GuideShell {
  private readonly bash: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private count = 0;
  readonly pidFile: string;
  readonly serverLog: string;

  constructor(
    readonly dir: string,
    env: Record<string, string>,
  ) {
    const shims = join(dir, '.shims');
    mkdirSync(shims, { recursive: true });
    this.pidFile = join(shims, 'server.pid');
    this.serverLog = join(shims, 'server.log');
    writeShim(join(shims, 'npx'), `if [ "$1" = tessera ]; then shift; exec node ${BIN} "$@"; fi
echo "guide shell: only 'npx tessera' is available" >&2; exit 127`);
    writeShim(join(shims, 'npm'), `[ "$1" = start ] || { echo "guide shell: only 'npm start' is available" >&2; exit 127; }
if [ -f ${this.pidFile} ]; then
  old=$(cat ${this.pidFile}); kill -TERM "$old" 2>/dev/null
  while kill -0 "$old" 2>/dev/null; do sleep 0.05; done
fi
node ${BIN} serve </dev/null >>${this.serverLog} 2>&1 &
echo $! > ${this.pidFile}
for _ in $(seq 1 ${PATIENCE_MS / 100}); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && exit 0
  kill -0 $! 2>/dev/null || { echo "guide shell: the server exited" >&2; tail -n 5 ${this.serverLog} >&2; exit 1; }
  sleep 0.1
done
echo "guide shell: the server did not become ready" >&2; exit 1`);
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd: dir, env: { ...env, PATH: `${shims}:${env.PATH ?? ''}` } });
    this.bash.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.bash.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.bash.stdin.write('set -o pipefail\n');
  }

  /** Runs a block as written; `ok` is false if any command in it failed. Its standard input is empty. */
  async run(block: string): Promise<BlockResult> {
    const n = ++this.count;
    const file = join(this.dir, '.shims', `block-${n}.sh`);
    writeFileSync(file, block);
    const done = `__BLOCK_${n}_DONE__`;
    this.stdout = '';
    this.stderr = '';
    this.bash.stdin.write(`__failed=0; trap '__failed=1' ERR; source ${file} </dev/null; trap - ERR; printf '\\n${done}%s\\n' "$__failed"; printf '${done}\\n' >&2\n`);
    const stdout = await this.until(() => this.stdout, new RegExp(`\\n${done}(\\d)\\n`));
    await this.until(() => this.stderr, new RegExp(`${done}\\n`));
    const failed = new RegExp(`\\n${done}(\\d)`).exec(stdout)![1] === '1';
    return { ok: !failed, stdout: stdout.slice(0, stdout.lastIndexOf(`\n${done}`)), stderr: this.stderr.slice(0, this.stderr.indexOf(done)) };
  }

  /** The value of a shell variable, as the next block would see it. */
  async variable(name: string): Promise<string> {
    return (await this.run(`printf '%s' "$${name}"`)).stdout;
  }

  log(): string {
    try {
      return readFileSync(this.serverLog, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server the guide started, then the shell. */
  async close(): Promise<void> {
    try {
      process.kill(Number(readFileSync(this.pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // never started, or already gone
    }
    this.bash.stdin.end('exit\n');
    if (this.bash.exitCode === null) await new Promise((resolve) => this.bash.once('exit', resolve));
  }

  private async until(read: () => string, marker: RegExp, timeoutMs = PATIENCE_MS): Promise<string> {
    const started = Date.now();
    while (!marker.test(read())) {
      if (this.bash.exitCode !== null) throw new Error(`the guide shell exited:\n${this.stderr}`);
      if (Date.now() - started > timeoutMs) throw new Error(`a guide block did not finish:\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return read();
  }
}

function writeShim(path: string, body: string): void {
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
}
