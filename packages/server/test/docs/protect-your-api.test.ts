import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFromCheckout } from '../support/checkout-install.js';
import { GuideShell } from '../support/guide-shell.js';
import { httpClient } from '../support/http-client.js';
import { freePort } from '../support/ports.js';
import { runCli, startServeProcess } from '../support/process.js';
import { testEnv, TEST_PASSWORD } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const GUIDE = readFileSync(resolve(ROOT, 'docs/protect-your-api.md'), 'utf8');
const PYTHON = '/usr/bin/python3';
const http = httpClient();

/** The code block titled `name` (```js title=name). */
function snippet(name: string): string {
  const block = new RegExp('^```\\w+ title=' + name.replace('.', '\\.') + '\\n([\\s\\S]*?)^```$', 'm').exec(GUIDE);
  if (!block) throw new Error(`docs/protect-your-api.md has no block titled ${name}`);
  return block[1]!;
}

const shellBlocks = [...GUIDE.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trim());

const pythonWith = (modules: string, debianPackage: string) => {
  const works = spawnSync(PYTHON, ['-c', `import ${modules}`]).status === 0;
  if (works) return true;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`${PYTHON} cannot import ${modules} (apt install ${debianPackage}) and REQUIRE_SERVICES=1`);
  process.stderr.write(`\n  ⚠ SKIPPED: a Python example — ${PYTHON} cannot import ${modules} (apt install ${debianPackage})\n\n`);
  return false;
};
const pythonWithPyJwt = pythonWith('jwt, cryptography', 'python3-jwt');
const pythonWithRequests = pythonWith('requests', 'python3-requests');

/** Starts one of the guide's Node examples and resolves with its URL once it prints its port. */
async function startExample(file: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...env, PORT: '0' } });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<string>((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /on port (\d+)/.exec(output);
      if (match) done(match[1]!);
    });
    child.once('exit', (code) => fail(new Error(`${file} exited with ${code}:\n${output}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

describe('docs/protect-your-api.md, run as written', () => {
  const dir = mkdtempSync(join(ROOT, '.protect-your-api-')); // inside the checkout: the examples import its packages
  const children: ChildProcess[] = [];
  let env: Record<string, string>;
  let tessera: string;
  let exampleEnv: Record<string, string>;
  let shell: GuideShell;

  const login = async (username: string, password = TEST_PASSWORD) =>
    ((await http.call('POST', `${tessera}/auth/login`, { body: { username, password } })).json as { access_token: string }).access_token;

  beforeAll(async () => {
    const port = await freePort();
    ({ env } = testEnv({ AUTH_RATE_LIMIT: '0', LOG_LEVEL: 'info', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }));
    expect((await runCli(['migrate'], env)).code).toBe(0);
    for (const [name, role] of [['alice', 'user'], ['ops', 'admin']]) {
      expect((await runCli(['users', 'add', name!, '--role', role!], env, TEST_PASSWORD)).code).toBe(0);
    }
    const server = await startServeProcess(env);
    children.push(server.child);
    tessera = server.url;
    exampleEnv = { TESSERA_URL: tessera, TESSERA_ISSUER: `http://127.0.0.1:${port}`, TESSERA_AUDIENCE: 'tessera-api' };
    // The guide's shell commands run in bash with the server's settings, as an operator would run them.
    shell = new GuideShell(dir, { ...env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir });
  });

  afterAll(async () => {
    await shell?.close();
    for (const child of children.splice(0)) {
      if (child.exitCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the service credentials as written, keeping only the two values, and installs only packages this workspace provides', async () => {
    const [credentials, pack, install, fastifyInstall] = shellBlocks;
    const added = await shell.run(credentials!);
    expect(added.ok, added.stderr).toBe(true);
    const [clientId, clientSecret] = [await shell.variable('TESSERA_CLIENT_ID'), await shell.variable('TESSERA_CLIENT_SECRET')];
    expect(clientId).toMatch(/^svc_[\w-]+$/);
    expect(clientSecret).toMatch(/^[\w-]{43}$/);
    expect(existsSync(join(dir, 'orders-api.json'))).toBe(false);
    exampleEnv = { ...exampleEnv, TESSERA_CLIENT_ID: clientId, TESSERA_CLIENT_SECRET: clientSecret };

    // The packages are not on the npm registry: packed from the checkout, with every @tessera package they
    // depend on, and their tarballs installed in one command beside the framework.
    const require = createRequire(join(ROOT, 'package.json'));
    const workspacePackage = (name: string) =>
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { name: string; version: string; dependencies?: Record<string, string> };
    expect(pack).toBe('mkdir -p ~/tessera-packages\nnpm pack -w @tessera/contract -w @tessera/verify --pack-destination ~/tessera-packages');
    const packed = [...pack!.matchAll(/-w (\S+)/g)].map((m) => workspacePackage(m[1]!));
    for (const { dependencies = {} } of packed) {
      for (const name of Object.keys(dependencies).filter((name) => name.startsWith('@tessera/'))) expect(packed.map((p) => p.name)).toContain(name);
    }
    const tarballs = packed.map(({ name, version }) => `~/tessera-packages/${name.slice(1).replace('/', '-')}-${version}.tgz`);
    expect(install).toBe(`npm install ${tarballs.join(' ')} express`);
    expect(fastifyInstall).toBe(`npm install ${tarballs.join(' ')} fastify`);
    for (const name of ['express', 'fastify']) expect(() => require.resolve(`${name}/package.json`)).not.toThrow();
  });

  it('the Express example: serves a valid token, refuses a role it did not allow, and refuses a token once it is logged out (the revocation feed tells it)', async () => {
    writeFileSync(join(dir, 'express-api.mjs'), snippet('express-api.mjs'));
    const api = await startExample(join(dir, 'express-api.mjs'), exampleEnv);
    children.push(api.child);
    const token = await login('alice');
    await until(async () => (await http.call('GET', `${api.url}/orders`, { token })).status === 200, PATIENCE_MS, 'the example accepts the token');
    expect((await http.call('GET', `${api.url}/orders`, { token })).json).toMatchObject({ orders: [] });
    const forbidden = await http.call('GET', `${api.url}/orders`, { token: 'x' });
    expect(forbidden.status).toBe(401);

    // The feed is up once the example has its service token: a logout made now reaches it through the feed.
    await until(async () => {
      const probe = await login('alice');
      await http.call('POST', `${tessera}/auth/logout`, { token: probe, body: {} });
      return (await http.call('GET', `${api.url}/orders`, { token: probe })).status === 401;
    }, PATIENCE_MS, 'the example follows the feed');
    await http.call('POST', `${tessera}/auth/logout`, { token, body: {} });
    // The feed is the only way the example can learn of it.
    await until(async () => (await http.call('GET', `${api.url}/orders`, { token })).status === 401, PATIENCE_MS, 'refused after logout');
    expect((await http.call('GET', `${api.url}/orders`, { token })).json).toEqual({
      error: 'invalid_token',
      error_description: 'The access token has been revoked',
    });
  });

  it('packs the package as written and installs it in a project outside the checkout, where the Express example verifies a token', async () => {
    const [, pack, install] = shellBlocks;
    const outside = installFromCheckout(ROOT, pack!, install!);
    const project = outside.dir;
    try {
      expect(outside.packed.status, outside.packed.stderr).toBe(0);
      expect(outside.installed.status, outside.installed.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(project, 'node_modules/@tessera/verify/package.json'), 'utf8')).name).toBe('@tessera/verify');

      writeFileSync(join(project, 'express-api.mjs'), snippet('express-api.mjs'));
      const api = await startExample(join(project, 'express-api.mjs'), exampleEnv);
      children.push(api.child);
      const token = await login('alice');
      await until(async () => (await http.call('GET', `${api.url}/orders`, { token })).status === 200, PATIENCE_MS, 'the installed package accepts the token');
      expect((await http.call('GET', `${api.url}/orders`, { token: 'x' })).status).toBe(401);
    } finally {
      outside.remove();
    }
  });

  it('the Fastify example: a route hook for any user, a plugin for admins only', async () => {
    writeFileSync(join(dir, 'fastify-api.mjs'), snippet('fastify-api.mjs'));
    const api = await startExample(join(dir, 'fastify-api.mjs'), exampleEnv);
    children.push(api.child);
    const [user, admin] = [await login('alice'), await login('ops')];
    expect((await http.call('GET', `${api.url}/profile`, { token: user })).status).toBe(200);
    const refused = await http.call('GET', `${api.url}/admin/stats`, { token: user });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'insufficient_scope' });
    expect((await http.call('GET', `${api.url}/admin/stats`, { token: admin })).status).toBe(200);
  });

  it.skipIf(!pythonWithPyJwt)('the Python example with PyJWT: accepts a valid token and refuses a tampered one', async () => {
    writeFileSync(join(dir, 'verify.py'), snippet('verify.py'));
    const token = await login('alice');
    const ok = python('verify.py', token);
    expect(ok.stdout, ok.stderr).toMatch(/^ok \S+ user$/m);
    const tampered = python('verify.py', tamper(token));
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/^refused: /);
  });

  it.skipIf(!pythonWithRequests)('the Python example asking Tessera: active until the logout, refused at once after it; wrong credentials are told apart', async () => {
    writeFileSync(join(dir, 'introspect.py'), snippet('introspect.py'));
    const token = await login('alice');
    const ok = python('introspect.py', token);
    expect(ok.stdout, ok.stderr).toMatch(/^ok \S+ user$/m);
    expect(python('introspect.py', tamper(token)).stdout).toBe('refused: not active\n');

    await http.call('POST', `${tessera}/auth/logout`, { token, body: {} });
    const loggedOut = python('introspect.py', token);
    expect(loggedOut.status).toBe(1);
    expect(loggedOut.stdout).toBe('refused: not active\n');

    const wrong = python('introspect.py', await login('alice'), { TESSERA_CLIENT_SECRET: 'not-the-secret' });
    expect(wrong.status, wrong.stderr).toBe(2);
    expect(wrong.stdout).toBe('cannot ask Tessera: 401 invalid_client\n');
  });

  /** Runs one of the guide's Python examples on a token. */
  function python(file: string, token: string, env: Record<string, string> = {}) {
    return spawnSync(PYTHON, [join(dir, file), token], { env: { ...exampleEnv, ...env, PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  }
});

/** The token with its payload edited (role: admin) and the signature kept. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })).toString('base64url');
  return `${header}.${edited}.${signature}`;
}
