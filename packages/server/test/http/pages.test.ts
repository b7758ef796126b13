import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { startTestInstance, startTestServer, type TestInstance } from '../support/tessera.js';

describe('the pages Tessera serves', () => {
  let t: TestInstance | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('serves /account and /console under a policy that loads nothing from elsewhere and runs no inline script', async () => {
    t = await startTestInstance();
    for (const url of ['/account', '/console']) {
      const response = await t.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("style-src 'self'");
      expect(policy).toContain("connect-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(response.body).not.toMatch(/<script>(?!<\/script>)/);
      expect(response.body).not.toMatch(/https?:\/\//);
    }
  });

  it('lets other sites load the migration banner script, and nothing else of the pages', async () => {
    t = await startTestInstance();
    const banner = await t.app.inject({ url: '/ui/migration-banner.js' });
    expect(banner.statusCode).toBe(200);
    expect(banner.headers['access-control-allow-origin']).toBe('*');
    expect(banner.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const account = await t.app.inject({ url: '/account' });
    expect(account.headers['access-control-allow-origin']).toBeUndefined();
    expect(account.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect((await t.app.inject({ url: '/ui/.vite/manifest.json' })).statusCode).toBe(404);
  });

  it('never serves the console on the public listener in production unless CONSOLE_LISTEN says so', async () => {
    t = await startTestInstance({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', JWT_SECRET: 'Zq8v3L0pXr7mN2bT5cW9yH4kJ6gF1dS8aE3uR0oI7lQ' });
    expect((await t.app.inject({ url: '/console' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/account' })).statusCode).toBe(200);
    // Nor its built page or script by their own paths; the account page's files are served as before.
    expect((await t.app.inject({ url: '/ui/console.html' })).statusCode).toBe(404);
    const account = (await t.app.inject({ url: '/account' })).body;
    const scripts = [...account.matchAll(/src="\/ui\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect((await t.app.inject({ url: `/ui/${script}` })).statusCode, script).toBe(200);
    const { readdirSync } = await import('node:fs');
    const consoleScripts = readdirSync(join(import.meta.dirname, '../../../web/dist/assets')).filter((name) => /^console-.*\.js$/.test(name));
    expect(consoleScripts.length).toBeGreaterThan(0);
    for (const script of consoleScripts) expect((await t.app.inject({ url: `/ui/assets/${script}` })).statusCode, script).toBe(404);
  });

  it('serves the console on a separate listener with CONSOLE_LISTEN=HOST:PORT, and not on the public one', async () => {
    const server = await startTestServer({ CONSOLE_LISTEN: '127.0.0.1:0' });
    try {
      expect((await fetch(`${server.url}/console`)).status).toBe(404);
      expect(server.consolePort).toBeGreaterThan(0);
      const page = await fetch(`http://127.0.0.1:${server.consolePort}/console`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<main id="app">');
    } finally {
      await server.stop();
    }
  });

  it('says how to build the pages when they are not built, without failing the server', async () => {
    t = await startTestInstance();
    const empty = mkdtempSync(join(tmpdir(), 'tessera-no-pages-'));
    const app = await buildApp(t.tessera, { pagesRoot: empty, console: true });
    try {
      const response = await app.inject({ url: '/account' });
      expect(response.statusCode).toBe(503);
      expect(response.json().error_description).toContain('npm run build');
    } finally {
      await app.close();
      rmSync(empty, { recursive: true });
    }
  });
});
