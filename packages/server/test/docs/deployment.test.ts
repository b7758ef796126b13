import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guideSections } from '../support/guide-shell.js';
import { freePort } from '../support/ports.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const GUIDE = readFileSync(resolve(ROOT, 'docs/deployment.md'), 'utf8');
const oneMachine = guideSections(GUIDE).find((s) => s.title === 'One machine')!;
const unit = /^```ini\n([\s\S]*?)^```$/m.exec(GUIDE)![1]!;

/**
 * docs/deployment.md's secret block and systemd unit, run as written against a temporary directory. The
 * test cannot run systemd, so it does what systemd would: the unit's paths point into the temporary
 * directory (the checkout stands for /opt/tessera, this Node for /usr/bin/node), StateDirectory= is
 * created 0700, the Environment= lines are the whole environment (PORT aside: a free one), and
 * ExecStartPre then ExecStart run in WorkingDirectory, stopped with KillSignal.
 */
describe('docs/deployment.md, one machine with systemd, run as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-deploy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const paths: Array<[string, string]> = [
    ['/usr/bin/node', process.execPath],
    ['/opt/tessera', ROOT],
    ['/etc/tessera', join(dir, 'etc/tessera')],
    ['/var/lib/tessera', join(dir, 'var/lib/tessera')],
  ];
  const local = (text: string) => paths.reduce((s, [from, to]) => s.split(from).join(to), text);
  const secretFile = local('/etc/tessera/jwt-secret');

  const directives = (name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!);
  const environment = (): Record<string, string> =>
    Object.fromEntries(directives('Environment').map((line) => local(line).split(/=(.*)/s).slice(0, 2) as [string, string]));

  function runSecretBlock() {
    expect(oneMachine.blocks).toHaveLength(1);
    const result = spawnSync('bash', ['-e', '-c', local(oneMachine.blocks[0]!)], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  }

  function exec(directive: string, env: Record<string, string>): ChildProcess {
    const [command, ...args] = local(directives(directive)[0]!).split(/\s+/);
    return spawn(command!, args, { cwd: local(directives('WorkingDirectory')[0]!), env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, output };
  }

  it('writes the secret once, to a file only its owner can read, and pasting the block again keeps it', () => {
    runSecretBlock();
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8');
    expect(secret.trim().length).toBeGreaterThanOrEqual(64);
    runSecretBlock();
    expect(readFileSync(secretFile, 'utf8')).toBe(secret);
  });

  it("the unit's ExecStartPre migrates and its ExecStart serves in production with the secret from the file, across restarts", async () => {
    mkdirSync(local('/var/lib/tessera'), { recursive: true, mode: 0o700 }); // StateDirectory=tessera
    const port = await freePort();
    const env: Record<string, string> = { ...environment(), PORT: String(port) };
    expect(env).toMatchObject({ NODE_ENV: 'production', JWT_SECRET_FILE: secretFile });
    expect(env).not.toHaveProperty('JWT_SECRET');

    const migrated = await finished(exec('ExecStartPre', env));
    expect(migrated, migrated.output).toMatchObject({ code: 0, output: 'migrations applied (sqlite)\n' });

    const kids: string[][] = [];
    for (let start = 0; start < 2; start++) {
      const server = exec('ExecStart', env);
      const exited = finished(server);
      const base = `http://${env.HOST}:${port}`;
      const ready = async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok === true;
      await until(async () => server.exitCode !== null || (await ready()), PATIENCE_MS, 'ready, or exited');
      if (server.exitCode !== null) expect.fail(`the server exited before it was ready:\n${(await exited).output}`);
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      kids.push(jwks.keys.map((k) => k.kid));
      server.kill(directives('KillSignal')[0] as NodeJS.Signals);
      const { code, output } = await exited;
      expect(code, output).toBe(0);
    }
    // The second start opened the keys the first one made, with the same secret from the file.
    expect(kids[1]).toEqual(kids[0]);
  });
});
