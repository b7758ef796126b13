import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { testFleet, type TestFleet } from '../../../server/test/support/fleet.js';
import { createUser, startTestServer, TEST_PASSWORD, type TestServer } from '../../../server/test/support/tessera.js';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const USERNAME = 'ada';
export { TEST_PASSWORD };

/** Whether Debian's Chromium is here (CI installs it; elsewhere the browser tests skip visibly). */
export function chromiumInstalled(): boolean {
  if (spawnSync(CHROMIUM, ['--version']).status === 0) return true;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`${CHROMIUM} is not installed and REQUIRE_SERVICES=1`);
  process.stderr.write(`\n  ⚠ SKIPPED: browser tests — ${CHROMIUM} is not installed (set REQUIRE_SERVICES=1 to fail instead)\n\n`);
  return false;
}

/**
 * Where the page is served from, beside Tessera on `localhost`:
 * - `same-site`: `localhost` on another port, so Tessera's SameSite=Strict refresh cookie is first-party
 *   (cookie mode);
 * - `cross-site`: `127.0.0.1`, another site, where the cookie would be third-party (token mode).
 */
export type Deployment = 'same-site' | 'cross-site';

/** The app page every tab loads: it imports the SDK Tessera serves, restores the user, then calls the API. */
function appPage(tessera: string, deployment: Deployment): string {
  const storage = deployment === 'cross-site' ? 'keyValueStorage(localStorage)' : 'undefined';
  return `<!doctype html><meta charset="utf-8"><title>app</title>
<script type="module">
import { TesseraClient, keyValueStorage } from '${tessera}/sdk/tessera-client.js';
const harness = (window.harness = { events: [], statuses: [], errors: [] });
// Tabs share by default: in cookie mode (the cookie) and with keyValueStorage(localStorage) in token mode.
const client = (window.tessera = new TesseraClient({ baseUrl: '${tessera}', storage: ${storage} }));
for (const name of ['signedIn', 'refreshed', 'signedOut']) client.on(name, (event) => harness.events.push({ name, ...event }));
harness.call = async () => {
  try {
    const response = await client.fetch('${tessera}/api/users');
    harness.statuses.push(response.status);
    return response.status;
  } catch (error) {
    harness.errors.push(String(error));
    return 0;
  }
};
harness.loaded = (async () => {
  harness.restored = await client.restore();
  if (harness.restored) harness.firstCall = { status: await harness.call(), at: performance.now() };
  return harness.restored;
})();
</script>`;
}

export interface BrowserDeployment {
  tessera: TestServer;
  /** The origin pages are loaded from. */
  pageOrigin: string;
  context: BrowserContext;
  /** Opens a tab on the app page and waits for its restore(). */
  openTab(): Promise<Page>;
  /** Signs in from the first tab (the other tabs then restore from the cookie or the shared storage). */
  login(page: Page): Promise<void>;
  /** token.refresh audit events of the user so far: all, and those that presented a token a second time. */
  refreshAudit(): Promise<{ refreshes: number; repeated: number }>;
  reuseDetected(): Promise<number>;
  /** The refresh token of the first login's answer, from its body or its cookie (as a thief who copied it would have it). */
  firstRefreshToken(): Promise<string>;
  /** How many token answers so far carried a refresh token in the body, where the page's scripts can read it. */
  refreshTokensInBodies(): Promise<number>;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  deployment: Deployment;
  database: 'sqlite' | 'postgres+redis';
  tokenExpirySeconds: number;
}

/** Tessera (real server, real clock), a page server on its own port, and one Chromium with one profile. */
export async function startBrowserDeployment(options: DeploymentOptions): Promise<BrowserDeployment> {
  const fleet: TestFleet | undefined = options.database === 'postgres+redis' ? testFleet() : undefined;
  const pages = await startPageServer();
  const pagePort = (pages.address() as AddressInfo).port;
  const pageOrigin = options.deployment === 'same-site' ? `http://localhost:${pagePort}` : `http://127.0.0.1:${pagePort}`;
  const server = await startTestServer({
    AUTH_RATE_LIMIT: '0',
    TOKEN_EXPIRY: String(options.tokenExpirySeconds),
    REFRESH_TOKEN_EXPIRY: '600',
    CORS_ORIGINS: pageOrigin,
    ...(fleet ? fleet.env() : {}),
  });
  await createUser(server.tessera, USERNAME);
  const tessera = server.url.replace('127.0.0.1', 'localhost');
  pages.on('request', (request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(appPage(tessera, options.deployment));
    void request;
  });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const context = await browser.newContext();
  const issued: Promise<{ inBody: boolean; token: string }>[] = [];
  context.on('response', (response) => {
    if (/\/auth\/(login|refresh)$/.test(response.url()) && response.status() === 200) {
      issued.push(
        Promise.all([response.json(), response.headerValue('set-cookie')]).then(([body, cookies]: [{ refresh_token?: string }, string | null]) => ({
          inBody: body.refresh_token !== undefined,
          token: body.refresh_token ?? /__Secure-refresh_token=([^;]+)/.exec(cookies ?? '')![1]!,
        })),
      );
    }
  });
  const userId = (await server.tessera.admin.accounts.getByUsername(USERNAME)).id;
  return {
    tessera: server,
    pageOrigin,
    context,
    async openTab() {
      const page = await context.newPage();
      page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
      await page.goto(`${pageOrigin}/`);
      await page.waitForFunction(() => (globalThis as unknown as { harness?: { loaded?: unknown } }).harness?.loaded !== undefined);
      await page.evaluate(() => (globalThis as unknown as { harness: { loaded: Promise<boolean> } }).harness.loaded);
      return page;
    },
    async login(page) {
      await page.evaluate(
        ([username, password]) => (globalThis as unknown as { tessera: { login(u: string, p: string): Promise<unknown> } }).tessera.login(username!, password!),
        [USERNAME, TEST_PASSWORD],
      );
    },
    async refreshAudit() {
      const events = await server.tessera.audit.query({ type: 'token.refresh', userId, limit: 1000 });
      return {
        refreshes: events.length,
        repeated: events.filter((event) => (event.detail as { withinReuseInterval?: boolean }).withinReuseInterval).length,
      };
    },
    async reuseDetected() {
      return (await server.tessera.audit.query({ type: 'token.reuse_detected', userId, limit: 1000 })).length;
    },
    firstRefreshToken: async () => (await issued[0]!).token,
    refreshTokensInBodies: async () => (await Promise.all(issued)).filter((answer) => answer.inBody).length,
    async close() {
      await browser.close();
      await new Promise((resolve) => pages.close(resolve));
      await server.stop();
      await fleet?.cleanup();
    },
  };
}

function startPageServer(): Promise<Server> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** What a tab saw: statuses of its API calls, its events, its errors. */
export interface TabRecord {
  statuses: number[];
  events: { name: string; reason?: string; via?: string }[];
  errors: string[];
  restored: boolean;
  firstCall?: { status: number; at: number };
}

export const tabRecord = (page: Page): Promise<TabRecord> =>
  page.evaluate(() => {
    const { statuses, events, errors, restored, firstCall } = (globalThis as unknown as { harness: TabRecord }).harness;
    return { statuses, events, errors, restored, firstCall };
  });

/** Every tab calls the API every `intervalMs` for `durationMs`, all at once. */
export async function fireFromEveryTab(tabs: Page[], durationMs: number, intervalMs: number): Promise<void> {
  await Promise.all(
    tabs.map((page) =>
      page.evaluate(
        async ([duration, interval]) => {
          const harness = (globalThis as unknown as { harness: { call(): Promise<number> } }).harness;
          const end = Date.now() + duration!;
          while (Date.now() < end) {
            await Promise.all([harness.call(), new Promise((resolve) => setTimeout(resolve, interval))]);
          }
        },
        [durationMs, intervalMs],
      ),
    ),
  );
}
