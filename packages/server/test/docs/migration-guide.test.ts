import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/admin/actor.js';
import { launchChromium } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { chromiumInstalled } from '../support/services.js';
import { startTestServer, type TestServer } from '../support/tessera.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../../..');
const GUIDE = readFileSync(resolve(ROOT, 'docs/auth-migration-guide.md'), 'utf8');
const PYTHON_CLIENT = resolve(ROOT, 'clients/python');
const DOCUMENTED_BASE = 'http://localhost:5000';

/** The fenced code blocks of the guide in the given language, in order. */
function blocks(language: string): string[] {
  return [...GUIDE.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
}

/** A server for the guide's web page, on `host`; its origin. */
async function pageServer(host: string, html: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(html()));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
}

describe('the code in docs/auth-migration-guide.md', () => {
  let server: TestServer;
  let base: string;
  let dir: string;
  let pages: Array<{ server: Server; origin: string }>;
  const html = () => blocks('html')[0]!.replaceAll(DOCUMENTED_BASE, base);

  beforeAll(async () => {
    // The page of the browser example, on Tessera's site (localhost, another port) and on another site (127.0.0.1).
    pages = [await pageServer('localhost', html), await pageServer('127.0.0.1', html)];
    // Development mode, as `npm start`: the guide's examples log in as test/test123.
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startTestServer({
      NODE_ENV: 'development',
      AUTH_RATE_LIMIT: '0',
      PORT: String(port),
      PUBLIC_URL: base,
      CORS_ORIGINS: pages.map((page) => page.origin).join(','),
    });
    dir = mkdtempSync(join(ROOT, '.migration-guide-')); // inside the checkout: the examples import @tessera/client
  });
  afterAll(async () => {
    for (const page of pages ?? []) await new Promise((done) => page.server.close(done));
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a JavaScript example with Node, from inside the checkout, only the base URL changed. */
  async function runModule(name: string, source: string): Promise<string> {
    const file = join(dir, name);
    writeFileSync(file, source.replaceAll(DOCUMENTED_BASE, base));
    const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
    return stdout;
  }

  /** Runs Python with the guide's helper importable, as when tessera_auth.py is copied into a project. */
  async function runPython(program: string): Promise<string> {
    const { stdout } = await run('python3', ['-c', program.replaceAll(DOCUMENTED_BASE, base)], { timeout: 30_000, env: { ...process.env, PYTHONPATH: PYTHON_CLIENT } });
    return stdout;
  }

  it('documents the server at the address of npm start', () => {
    expect(GUIDE).toContain(DOCUMENTED_BASE);
  });

  it('runs every Python example, in order, as one client would: the helper logs in, and a session moves to tokens', async () => {
    const [before, after, fallback, exchange] = blocks('python');
    expect(blocks('python')).toHaveLength(4);
    const stdout = await runPython(`${before}\n${after}\nprint(response.status_code)\n${fallback}\n${exchange}
print(requests.get(f"{BASE}/api/users", cookies={"session_id": session_cookie}).status_code)
print(requests.get(f"{BASE}/api/me", auth=auth).json()["auth"])
`);
    // The exchange ended the session of the "Before" example; the helper's token works.
    expect(stdout).toBe('200\n401\njwt\n');
  });

  it('the Python fallback keeps a user the rollout does not include on the session login', async () => {
    const [, after, fallback] = blocks('python');
    const setup = after!.slice(0, after!.indexOf('# Login'));
    await server.tessera.admin.rollout.setOverride('test', false, CLI_ACTOR);
    try {
      const stdout = await runPython(`${setup}\nauth = TesseraAuth(BASE)\n${fallback}\nprint(response.status_code, "session_id" in response.cookies)\n`);
      expect(stdout).toBe('200 True\n');
    } finally {
      await server.tessera.admin.rollout.setOverride('test', null, CLI_ACTOR);
    }
  });

  it('the TypeScript example typechecks, and runs: two requests at once, then a logout the app hears of', async () => {
    const [typescript] = blocks('ts');
    const file = join(dir, 'client.mts');
    writeFileSync(file, typescript!.replaceAll(DOCUMENTED_BASE, base));
    const tsc = resolve(ROOT, 'node_modules/typescript/bin/tsc');
    const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node'];
    await expect(run(process.execPath, [tsc, ...flags, file], { timeout: 60_000 })).resolves.toMatchObject({ stdout: '' });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { timeout: 30_000, cwd: ROOT });
    expect(stdout).toBe('200 jwt null\nsigned out: logged_out\n');
  });

  it('the React Native examples keep the user signed in across app starts, in AsyncStorage or a secure store', async () => {
    const [asyncStorage, secureStore] = blocks('js');
    expect(blocks('js')).toHaveLength(2);
    // The app's storage stood in for by a Map; a second client on the same storage is the next app start.
    const first = await runModule(
      'async-storage.mjs',
      asyncStorage!.replace(
        "import AsyncStorage from '@react-native-async-storage/async-storage';",
        'const items = new Map(); const AsyncStorage = { getItem: async (k) => items.get(k) ?? null, setItem: async (k, v) => void items.set(k, v), removeItem: async (k) => void items.delete(k) };',
      ) +
        `\nconsole.log(tessera.signedIn, items.has('tessera.refresh_token'));
const nextStart = new TesseraClient({ baseUrl: '${DOCUMENTED_BASE}', storage: keyValueStorage(AsyncStorage, 'tessera.refresh_token') });
console.log(await nextStart.restore());\n`,
    );
    expect(first).toBe('true true\ntrue\n');

    const second = await runModule(
      'secure-store.mjs',
      secureStore!.replace(
        "import * as SecureStore from 'expo-secure-store';",
        'const items = new Map(); const SecureStore = { getItemAsync: async (k) => items.get(k) ?? null, setItemAsync: async (k, v) => void items.set(k, v), deleteItemAsync: async (k) => void items.delete(k) };',
      ) +
        `\nawait tessera.login('test', 'test123');
console.log(items.has('tessera.refresh_token'));
await tessera.logout();
console.log(items.has('tessera.refresh_token'));\n`,
    );
    expect(second).toBe('true\nfalse\n');
  });

  it.skipIf(!chromiumInstalled())(
    'the browser example: on Tessera\'s site a reload is signed in again from the cookie; on another site it works in token mode',
    async () => {
      const browser = await launchChromium();
      try {
        const logins: Record<string, number> = {};
        for (const { origin } of pages) {
          const page = await browser.newPage();
          logins[origin] = 0;
          page.on('request', (request) => {
            if (request.url().endsWith('/auth/login')) logins[origin]! += 1;
          });
          await page.goto(`${origin}/`);
          await page.waitForSelector('body[data-auth="jwt"]');
          await page.reload();
          await page.waitForSelector('body[data-auth="jwt"]');
          await page.close();
        }
        const [sameSite, otherSite] = pages.map((page) => page.origin);
        expect(logins).toEqual({ [sameSite!]: 1, [otherSite!]: 2 });
      } finally {
        await browser.close();
      }
    },
  );
});
