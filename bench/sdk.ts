/**
 * The client SDK (`@tessera/client`, issue 16), measured against real servers:
 *  - its size: the browser build Tessera serves at /sdk/tessera-client.js, minified and gzipped;
 *  - refreshes per expiry with 50 concurrent calls in one Node process (the client's clock moved past
 *    the access token's expiry, 50 `fetch`es at once, the server's refresh count read from /metrics);
 *  - refreshes per expiry with 4 Chromium tabs calling every 150 ms for several expiries (2 s tokens,
 *    refreshed when a quarter of their life is left: one refresh is due every 1.5 s);
 *  - the answers other than 200 that reached the app in both;
 *  - page load → first authenticated request with a stored refresh cookie (no other tab open), in
 *    Chromium: `performance.now()` when the restore() + first API call have answered.
 *
 *   npx tsx bench/sdk.ts [--expiries 20] [--loads 20] [--seconds 15]
 *
 * Needs Debian's Chromium (/usr/bin/chromium).
 */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TesseraClient } from '../packages/client/src/index.js';
// @ts-expect-error: a plain ES module script without types
import { buildBrowserBundle } from '../packages/client/bundle.mjs';
import { fireFromEveryTab, startBrowserDeployment, tabRecord } from '../packages/client/test/browser/harness.js';
import { clientClock, startClientTestServer, TEST_PASSWORD } from '../packages/client/test/support/tessera-server.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: { expiries: { type: 'string', default: '20' }, loads: { type: 'string', default: '20' }, seconds: { type: 'string', default: '15' } },
});
const EXPIRIES = Number(values.expiries);
const LOADS = Number(values.loads);
const FIRING_MS = Number(values.seconds) * 1000;
const IN_FLIGHT = 50;
const TABS = 4;
const TOKEN_EXPIRY_SECONDS = 2;

async function bundleSize(): Promise<void> {
  const file = (await (buildBrowserBundle as () => Promise<string>)()) as string;
  const source = readFileSync(file);
  console.log(`bundle: ${source.length.toLocaleString('en')} B minified, ${gzipSync(source, { level: 9 }).length.toLocaleString('en')} B gzipped`);
}

async function oneProcess(): Promise<void> {
  const server = await startClientTestServer({ TOKEN_EXPIRY: '60' });
  try {
    const clock = clientClock();
    const client = new TesseraClient({ baseUrl: server.url, now: clock.now });
    await client.login('ada', TEST_PASSWORD);
    const before = await server.refreshes();
    let calls = 0;
    let others = 0;
    for (let i = 0; i < EXPIRIES; i++) {
      clock.advanceSeconds(60);
      server.clock.advanceSeconds(60);
      const statuses = await Promise.all(Array.from({ length: IN_FLIGHT }, async () => (await client.fetch(`${server.url}/api/users`)).status));
      calls += statuses.length;
      others += statuses.filter((status) => status !== 200).length;
    }
    const refreshes = (await server.refreshes()) - before;
    console.log(
      `one process, ${IN_FLIGHT} concurrent calls per expiry: ${(refreshes / EXPIRIES).toFixed(2)} refreshes per expiry ` +
        `(${refreshes} over ${EXPIRIES} expiries), ${others} non-200 of ${calls}`,
    );
  } finally {
    await server.stop();
  }
}

async function fourTabs(): Promise<void> {
  const d = await startBrowserDeployment({ deployment: 'same-site', database: 'sqlite', tokenExpirySeconds: TOKEN_EXPIRY_SECONDS });
  try {
    const first = await d.openTab();
    await d.login(first);
    const tabs = [first];
    for (let i = 1; i < TABS; i++) tabs.push(await d.openTab());
    const before = await d.refreshAudit();
    const started = Date.now();
    await fireFromEveryTab(tabs, FIRING_MS, 150);
    const elapsed = Date.now() - started;
    const after = await d.refreshAudit();
    const records = await Promise.all(tabs.map((tab) => tabRecord(tab)));
    const statuses = records.flatMap((record) => record.statuses);
    const refreshes = after.refreshes - before.refreshes;
    const due = elapsed / (TOKEN_EXPIRY_SECONDS * 750);
    console.log(
      `${TABS} tabs, ${(elapsed / 1000).toFixed(1)} s: ${(refreshes / due).toFixed(2)} refreshes per expiry (${refreshes} refreshes, ${due.toFixed(1)} due), ` +
        `${after.repeated - before.repeated} refresh tokens presented twice, ${await d.reuseDetected()} reuse detected, ` +
        `${statuses.filter((status) => status !== 200).length} non-200 of ${statuses.length}, ` +
        `${records.flatMap((record) => record.events).filter((event) => event.name === 'signedOut').length} tabs signed out`,
    );

    // Page load with a stored cookie and no other tab to ask: restore() refreshes, then the first call.
    await Promise.all(tabs.map((tab) => tab.close()));
    const samples: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const page = await d.openTab();
      await page.waitForFunction(() => (globalThis as unknown as { harness: { firstCall?: unknown } }).harness.firstCall !== undefined);
      const { firstCall } = await tabRecord(page);
      if (firstCall?.status !== 200) throw new Error(`the first call after load answered ${firstCall?.status}`);
      samples.push(firstCall.at);
      await page.close();
    }
    const summary = summarize(samples);
    console.log(
      `page load → first authenticated request (stored cookie, Chromium): median ${summary.p50.toFixed(0)} ms, ` +
        `p99 ${summary.p99.toFixed(0)} ms, max ${summary.max.toFixed(0)} ms over ${LOADS} loads`,
    );
  } finally {
    await d.close();
  }
}

await bundleSize();
await oneProcess();
await fourTabs();
