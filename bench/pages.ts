/**
 * `npx tsx bench/pages.ts` — the pages as Chromium sees them, and what the hourly request counters cost.
 *
 *   - transferred size of each page (every response until the page is usable, as sent: compressed), and
 *     the same files gzipped at level 9 for comparison with other sites;
 *   - time from navigation until the sign-in form is usable (drawn, enabled, focused), median of runs in
 *     fresh browser profiles;
 *   - GET /api/users throughput with the hourly counters on and off, alternating rounds on one server
 *     process (`--rounds`, `--seconds`), as a ratio (1.0 = free).
 *
 * Prints a table; `--ci` runs everything tiny to prove the harness works.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { closedLoop } from './lib/closed-loop.js';
import { HttpClient } from './lib/http.js';
import { startBenchServer } from './lib/server.js';

const { values } = parseArgs({
  options: { ci: { type: 'boolean', default: false }, runs: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, concurrency: { type: 'string' } },
});
const runs = Number(values.runs ?? (values.ci ? 1 : 7));
const rounds = Number(values.rounds ?? (values.ci ? 1 : 6));
const seconds = Number(values.seconds ?? (values.ci ? 0.5 : 5));
const concurrency = Number(values.concurrency ?? 32);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

interface Load {
  transferred: number;
  gzipped: number;
  raw: number;
  files: number;
  usableMs: number;
}

/** Opens `path` in a fresh profile, optionally signs in, and waits until `ready` is true. */
async function load(browser: Browser, url: string, signIn?: { username: string; password: string; ready: (page: Page) => Promise<unknown> }): Promise<Load> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const responses: Response[] = [];
  page.on('response', (response) => void responses.push(response));
  await page.goto(url);
  const button = page.getByRole('button', { name: 'Sign in' });
  await button.waitFor();
  // Drawn, enabled and focused: a person can type; performance.now() counts from the navigation's start.
  const usableMs = (await page.evaluate(`new Promise((done) => {
    const check = () => {
      const input = document.querySelector('input[name=username]');
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Sign in');
      if (input && button && !button.disabled && document.activeElement === input) done(performance.now()); else requestAnimationFrame(check);
    };
    check();
  })`)) as number;
  if (signIn) {
    await page.getByLabel('Username').fill(signIn.username);
    await page.getByLabel('Password').fill(signIn.password);
    await button.click();
    await signIn.ready(page);
  }
  let transferred = 0;
  let gzipped = 0;
  let raw = 0;
  for (const response of responses) {
    const sizes = await response.request().sizes();
    transferred += sizes.responseBodySize + sizes.responseHeadersSize;
    const body = await response.body().catch(() => Buffer.alloc(0));
    raw += body.length;
    gzipped += gzipSync(body, { level: 9 }).length;
  }
  await context.close();
  return { transferred, gzipped, raw, files: responses.length, usableMs };
}

async function pages(url: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS, headless: true });
  try {
    const cases: Array<[string, string, Parameters<typeof load>[2]]> = [
      ['/account (sign-in form)', `${url}/account`, undefined],
      ['/console (sign-in form)', `${url}/console`, undefined],
      [
        '/console signed in, chart drawn',
        `${url}/console`,
        { username: 'admin', password: 'admin123', ready: (page) => page.getByTestId('request-totals').filter({ hasText: 'requests with JWTs' }).waitFor() },
      ],
      [
        '/account signed in, devices shown',
        `${url}/account`,
        { username: 'test', password: 'test123', ready: (page) => page.getByText('This device').waitFor() },
      ],
    ];
    console.log('| page | files | transferred | gzip -9 of the same | uncompressed | form usable (median of %d) |', runs);
    console.log('|---|---|---|---|---|---|');
    for (const [name, address, signIn] of cases) {
      const results: Load[] = [];
      for (let run = 0; run < runs; run += 1) results.push(await load(browser, address, signIn));
      const last = results.at(-1)!;
      console.log(`| ${name} | ${last.files} | ${kib(last.transferred)} | ${kib(last.gzipped)} | ${kib(last.raw)} | ${median(results.map((r) => r.usableMs)).toFixed(0)} ms |`);
    }
  } finally {
    await browser.close();
  }
}

async function counterCost(url: string): Promise<void> {
  const http = new HttpClient(url, concurrency);
  try {
    const login = await http.send('POST', '/auth/login', { body: { username: 'test', password: 'test123' } });
    const token = (login.body as { access_token: string }).access_token;
    const users = (_: number, c: HttpClient) => c.send('GET', '/api/users', { headers: { authorization: `Bearer ${token}` } });
    const counting = (on: boolean) => http.send('POST', `/bench/counting?on=${on}`);
    await closedLoop(http, concurrency, Math.min(2, seconds), users); // warm-up
    const on: number[] = [];
    const off: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      await counting(true);
      on.push((await closedLoop(http, concurrency, seconds, users)).rps);
      await counting(false);
      off.push((await closedLoop(http, concurrency, seconds, users)).rps);
    }
    const ratios = on.map((r, i) => r / off[i]!);
    console.log(`\nGET /api/users, ${concurrency} connections, ${rounds} × ${seconds} s rounds alternating:`);
    console.log(`  counters on : ${on.map((r) => r.toFixed(0)).join(', ')} req/s`);
    console.log(`  counters off: ${off.map((r) => r.toFixed(0)).join(', ')} req/s`);
    console.log(`  cost ratio (on / off, median of rounds): ${median(ratios).toFixed(3)}`);
  } finally {
    await http.close();
  }
}

const server = await startBenchServer({}, { script: resolve(import.meta.dirname, 'lib/counting-server.ts') });
try {
  await pages(server.url);
  await counterCost(server.url);
} finally {
  await server.stop();
}
