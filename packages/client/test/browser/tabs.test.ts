import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, redisAvailable } from '../../../server/test/support/services.js';
import type { Page } from 'playwright-core';
import { createUser } from '../../../server/test/support/tessera.js';
import {
  chromiumInstalled,
  fireFromEveryTab,
  startBrowserDeployment,
  tabRecord,
  TEST_PASSWORD,
  type BrowserDeployment,
  type Deployment,
  type DeploymentOptions,
  type TabRecord,
} from './harness.js';

const TABS = 4;
const TOKEN_EXPIRY_SECONDS = 2;
/** Several expiries: the SDK refreshes when a quarter of a token's life is left, every 1.5 s here. */
const FIRING_MS = 7_000;
const CALL_EVERY_MS = 150;

const hasChromium = chromiumInstalled();
const hasFleet = hasChromium && (await postgresAvailable()) && (await redisAvailable());

/** A deployment started before the block's tests (when they run) and closed after them; `ready` runs once it is up. */
function deploymentFor(runs: boolean, options: DeploymentOptions, ready?: (d: BrowserDeployment) => Promise<unknown>): () => BrowserDeployment {
  let d: BrowserDeployment | undefined;
  beforeAll(async () => {
    if (!runs) return;
    d = await startBrowserDeployment(options);
    await ready?.(d);
  }, 60_000);
  afterAll(async () => {
    await d?.close();
  });
  return () => d!;
}

describe.each([
  ['same-site', 'sqlite'],
  ['cross-site', 'sqlite'],
  ['same-site', 'postgres+redis'],
  ['cross-site', 'postgres+redis'],
] as const)('four tabs of a page on the %s of Tessera, %s', (deployment: Deployment, database) => {
  const runs = hasChromium && (database === 'sqlite' || hasFleet);
  const started = deploymentFor(runs, { deployment, database, tokenExpirySeconds: TOKEN_EXPIRY_SECONDS });

  it.skipIf(!runs)(
    `stay signed in across several expiries, with one refresh per expiry and the family never revoked`,
    async () => {
      const d = started();
      const first = await d.openTab();
      expect((await tabRecord(first)).restored).toBe(false);
      await d.login(first);
      const tabs = [first];
      for (let i = 1; i < TABS; i++) tabs.push(await d.openTab());
      for (const tab of tabs) expect((await tabRecord(tab)).events[0]).toMatchObject({ name: 'signedIn' });

      const before = await d.refreshAudit();
      await fireFromEveryTab(tabs, FIRING_MS, CALL_EVERY_MS);
      const after = await d.refreshAudit();

      for (const tab of tabs) {
        const record = await tabRecord(tab);
        expect(record.errors).toEqual([]);
        expect(record.statuses.filter((status) => status !== 200)).toEqual([]);
        expect(record.events.filter((event) => event.name === 'signedOut')).toEqual([]);
        expect(record.statuses.length).toBeGreaterThan(10);
      }
      expect(await d.reuseDetected()).toBe(0);
      // No refresh token was presented twice, and the tabs did not each refresh: one refresh per
      // refresh interval (a quarter of the lifetime early), give or take the one under way at the end.
      expect(after.repeated).toBe(0);
      const refreshes = after.refreshes - before.refreshes;
      expect(refreshes).toBeGreaterThanOrEqual(Math.floor(FIRING_MS / (TOKEN_EXPIRY_SECONDS * 750)) - 1);
      expect(refreshes).toBeLessThanOrEqual(Math.ceil(FIRING_MS / (TOKEN_EXPIRY_SECONDS * 750)) + 1);
      // A page on Tessera's site (cookie mode) never sees a refresh token: the login and every refresh
      // put it in the HttpOnly cookie only. Another site's page (token mode) needs it in the body.
      if (deployment === 'same-site') expect(await d.refreshTokensInBodies()).toBe(0);
      else expect(await d.refreshTokensInBodies()).toBeGreaterThan(refreshes);
    },
    60_000,
  );

  it.skipIf(!runs)('a thief replaying an old refresh token is still detected, and every tab is signed out', async () => {
    const d = started();
    const tabs = d.context.pages();
    // The first login's refresh token (from its body, or from the cookie a thief copied), long rotated.
    const stolen = await d.firstRefreshToken();
    const replay = await fetch(`${d.tessera.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: stolen }),
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
    expect(await d.reuseDetected()).toBe(1);
    await fireFromEveryTab(tabs, TOKEN_EXPIRY_SECONDS * 1000, CALL_EVERY_MS);
    for (const tab of tabs) {
      const signedOut = (await tabRecord(tab)).events.filter((event) => event.name === 'signedOut');
      expect(signedOut).toEqual([{ name: 'signedOut', reason: 'revoked' }]);
    }
  }, 60_000);
});

describe('two tabs, and a sign-in as someone else in one of them', () => {
  const runs = hasChromium;
  const deployment = deploymentFor(runs, { deployment: 'same-site', database: 'sqlite', tokenExpirySeconds: 60 }, (d) => createUser(d.tessera.tessera, 'bea'));

  it.skipIf(!runs)("reaches the other tab as a new sign-in, not a refresh, and the other tab's next call is the new user's", async () => {
    const d = deployment();
    const first = await d.openTab();
    await d.login(first);
    const second = await d.openTab();
    expect((await tabRecord(second)).restored).toBe(true);
    const me = (page: Page) =>
      page.evaluate(async (url) => {
        const client = (globalThis as unknown as { tessera: { fetch(url: string): Promise<Response> } }).tessera;
        return ((await (await client.fetch(url)).json()) as { id: string }).id;
      }, `${d.tessera.url.replace('127.0.0.1', 'localhost')}/api/me`);
    const ada = await me(first);

    await second.evaluate(
      ([password]) => (globalThis as unknown as { tessera: { login(u: string, p: string): Promise<unknown> } }).tessera.login('bea', password!),
      [TEST_PASSWORD],
    );
    await first.waitForFunction(() =>
      (globalThis as unknown as { harness: TabRecord }).harness.events.some((event) => event.name === 'signedIn' && event.via === 'other_tab'),
    );
    const bea = (await d.tessera.tessera.admin.accounts.getByUsername('bea')).id;
    expect(await me(first)).toBe(bea);
    expect(bea).not.toBe(ada);
    expect((await tabRecord(first)).events.filter((event) => event.name === 'refreshed')).toEqual([]);
  });
});

describe('a page on another site asking for cookie mode', () => {
  const runs = hasChromium;
  const deployment = deploymentFor(runs, { deployment: 'cross-site', database: 'sqlite', tokenExpirySeconds: 60 });

  it.skipIf(!runs)('is refused with a message that says why', async () => {
    const d = deployment();
    const tab = await d.openTab();
    const tessera = d.tessera.url.replace('127.0.0.1', 'localhost');
    // A string, so that the test runner does not rewrite the page's own import().
    const error = await tab.evaluate(`(async () => {
      const sdk = await import('${tessera}/sdk/tessera-client.js');
      try {
        new sdk.TesseraClient({ baseUrl: '${tessera}', mode: 'cookie' });
        return null;
      } catch (caught) {
        return { code: caught.code, message: caught.message };
      }
    })()`);
    expect(error).toMatchObject({ code: 'cookie_mode_unavailable', message: expect.stringMatching(/different sites.*third-party/) });
  });
});
