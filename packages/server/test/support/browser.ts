import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './services.js';
import { freePort } from './ports.js';
import type { TestClock } from './clock.js';
import { startTestServer, type TestServer } from './tessera.js';

/** The flags every browser test runs Chromium with: headless, in a container, quiet on the network. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** The docs' screenshots: the tests write them here only when asked to (`UPDATE_SCREENSHOTS=1`). */
export const DOCS_SCREENSHOTS = resolve(import.meta.dirname, '../../../../docs/images');

/**
 * Where the tests put their screenshots: a folder under the system's temporary directory, so a test run
 * leaves the working tree clean; `UPDATE_SCREENSHOTS=1` writes the docs' own images instead.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? DOCS_SCREENSHOTS : resolve(tmpdir(), 'tessera-screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

/**
 * A real server on a port known in advance, so PUBLIC_URL (the origin its cookie-authenticated requests
 * must come from) is the address the browser uses.
 */
export async function startPageServer(overrides: Record<string, string> = {}, clock?: TestClock): Promise<TestServer & { origin: string }> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const server = await startTestServer({ PORT: String(port), PUBLIC_URL: origin, ...overrides }, clock ? { clock } : {});
  return { ...server, origin, ...(clock ? { clock } : {}) };
}

/** A fresh browser profile (no cookies) with a phone-or-laptop sized window. */
export function newContext(browser: Browser, viewport = { width: 1100, height: 800 }): Promise<BrowserContext> {
  return browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true });
}
