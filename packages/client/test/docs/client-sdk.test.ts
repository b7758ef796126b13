import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFromCheckout } from '../../../server/test/support/checkout-install.js';
import { createUser, startTestServer, type TestServer } from '../../../server/test/support/tessera.js';
import { chromiumInstalled, CHROMIUM } from '../browser/harness.js';

const GUIDE = readFileSync(resolve(import.meta.dirname, '../../../../docs/client-sdk.md'), 'utf8');
const PACKAGE = resolve(import.meta.dirname, '../..');

/** The fenced block of `language` under the heading `heading`, as written in the guide. */
function snippet(heading: string, language: string, index = 0): string {
  const section = GUIDE.split(/^## /m).find((part) => part.startsWith(heading))!;
  const blocks = [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]!);
  return blocks[index]!;
}

/** Runs an ES module with Node from inside the package, so that `@tessera/client` resolves to its build. */
async function runModule(source: string, env: Record<string, string>): Promise<string> {
  const file = resolve(PACKAGE, `.docs-snippet-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(file, source);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { env: { ...process.env, ...env } });
    return stdout;
  } finally {
    rmSync(file, { force: true });
  }
}

describe('docs/client-sdk.md, run as written', () => {
  let server: TestServer;
  let tessera: string;
  let pages: Server;
  let pageOrigin: string;
  beforeAll(async () => {
    pages = createServer();
    await new Promise<void>((done) => pages.listen(0, '127.0.0.1', done));
    pageOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
    server = await startTestServer({ AUTH_RATE_LIMIT: '0', CORS_ORIGINS: pageOrigin });
    tessera = server.url.replace('127.0.0.1', 'localhost');
    await createUser(server.tessera, 'alice', 'user', 'correct horse battery staple');
  });
  afterAll(async () => {
    await new Promise((done) => pages.close(done));
    await server.stop();
  });

  it('the Node example logs in, makes 50 requests at once, all answered 200, and logs out', async () => {
    const output = await runModule(snippet('In Node', 'js'), {
      TESSERA_URL: server.url,
      TESSERA_USERNAME: 'alice',
      TESSERA_PASSWORD: 'correct horse battery staple',
    });
    expect(output.trim()).toBe('all 200');
  });

  it('installs as written from the checkout, packed with its contract, into a project outside it, where the Node example runs', async () => {
    const [pack, install] = [snippet('Installing from a Tessera checkout', 'sh', 0), snippet('Installing from a Tessera checkout', 'sh', 1)];
    const outside = installFromCheckout(resolve(PACKAGE, '../..'), pack, install);
    const project = outside.dir;
    try {
      expect(outside.packed.status, outside.packed.stderr).toBe(0);
      expect(outside.installed.status, outside.installed.stderr).toBe(0);
      writeFileSync(join(project, 'app.mjs'), snippet('In Node', 'js'));
      const { stdout } = await promisify(execFile)(process.execPath, [join(project, 'app.mjs')], {
        env: { PATH: process.env.PATH ?? '', TESSERA_URL: server.url, TESSERA_USERNAME: 'alice', TESSERA_PASSWORD: 'correct horse battery staple' },
      });
      expect(stdout.trim()).toBe('all 200');
    } finally {
      outside.remove();
    }
  });

  it('the React Native example restores nothing at first start (AsyncStorage stood in for by a Map)', async () => {
    const source = snippet('In React Native', 'js')
      .replace(
        "import AsyncStorage from '@react-native-async-storage/async-storage';",
        'const items = new Map(); const AsyncStorage = { getItem: async (k) => items.get(k) ?? null, setItem: async (k, v) => void items.set(k, v), removeItem: async (k) => void items.delete(k) };',
      )
      .replaceAll('https://auth.example.com', server.url);
    expect((await runModule(`${source}\nconsole.log(String(signedIn));`, {})).trim()).toBe('false');
  });

  it('the session exchange example tells a caller without a session to show the login page', async () => {
    const source = `import { TesseraClient } from '@tessera/client';\nconst tessera = new TesseraClient({ baseUrl: '${server.url}' });\n${snippet('From a cookie session', 'js')}\nconsole.log(result.status);`;
    expect((await runModule(source, {})).trim()).toBe('no_session');
  });

  it.skipIf(!chromiumInstalled())('the browser example signs in, calls the API, and after a reload is signed in again from the cookie', async () => {
    const html = snippet('In a browser', 'html').replaceAll('https://auth.example.com', tessera).replaceAll('https://api.example.com', tessera);
    pages.on('request', (_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(html));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const logins: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/auth/login')) logins.push(request.url());
      });
      await page.goto(`${pageOrigin}/`);
      await page.waitForSelector('body[data-state="signed-in:200"]');
      await page.reload();
      await page.waitForSelector('body[data-state="signed-in:200"]');
      expect(logins).toHaveLength(1);
    } finally {
      await browser.close();
    }
  });
});
