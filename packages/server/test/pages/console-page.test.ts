import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, screenshot, startPageServer } from '../support/browser.js';
import { chromiumInstalled } from '../support/services.js';
import { testClockAtRealTime } from '../support/clock.js';
import { TEST_PASSWORD, createUser } from '../support/tessera.js';

describe.runIf(chromiumInstalled())('the operator console (/console) in Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startPageServer>>;
  // The browser's clock is real: the server's starts at the real time, and only ever moves ahead.
  const clock = testClockAtRealTime();

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const loginStatus = async (username: string) => (await post('/auth/login', { username, password: TEST_PASSWORD })).status;

  beforeAll(async () => {
    server = await startPageServer({ AUTH_RATE_LIMIT: '0' }, clock);
    await createUser(server.tessera, 'root', 'admin');
    await createUser(server.tessera, 'uma');
    await createUser(server.tessera, 'sam');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signIn = async (page: Page, username: string) => {
    await page.goto(`${server.origin}/console`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const confirmPassword = async (page: Page) => {
    const dialog = page.getByRole('dialog', { name: 'Confirm with your password' });
    await dialog.waitFor();
    await dialog.getByLabel('Your password').fill(TEST_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
  };

  it('refuses an account with the user role', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, 'uma');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('uma is not an operator');
    expect(await page.getByRole('heading', { name: 'Tessera console' }).count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Console sections' }).count()).toBe(0);
    await screenshot(page, 'console-refused');
  });

  it('draws the chart of JWT against session requests from the real counters after a burst of each', async () => {
    const { access_token: token } = (await (await post('/auth/login', { username: 'sam', password: TEST_PASSWORD })).json()) as { access_token: string };
    const session = (await post('/api/login', { username: 'uma', password: TEST_PASSWORD })).headers.get('set-cookie')!.split(';')[0]!;
    for (let i = 0; i < 30; i += 1) await fetch(`${server.origin}/api/users`, { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 12; i += 1) await fetch(`${server.origin}/api/users`, { headers: { cookie: session } });
    // sam moves over by the team app's hand-off (token exchange): the line under the chart counts him.
    const { service, clientSecret } = await server.tessera.admin.services.add('webapp', null, { id: 'cli' });
    await server.tessera.admin.services.setTokenExchange('webapp', true, { id: 'cli' });
    const handOff = await fetch(`${server.origin}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${service.clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: 'sam',
        subject_token_type: 'urn:tessera:params:oauth:token-type:username',
      }),
    });
    expect(handOff.status).toBe(200);

    const page = await (await newContext(browser)).newPage();
    await signIn(page, 'root');
    // The burst, plus the pages' own calls to /api/me/account (with JWTs too).
    await expect.poll(() => page.getByTestId('request-totals').textContent()).toMatch(/^3[0-4] requests with JWTs, 12 with sessions: 7\d% on JWTs\.$/);
    await expect
      .poll(() => page.getByTestId('moved-users').textContent())
      .toBe('Moved over from your app in the last 7 days: 1 user — 1 handed off, 0 by lazy migration, 0 re-hashed at login.');
    // Chart.js has drawn on the canvas: some pixel is no longer transparent.
    await expect
      .poll(() =>
        page.evaluate(`(() => {
          const canvas = document.querySelector('[data-testid=request-chart]');
          const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          return pixels.some((value, index) => index % 4 === 3 && value > 0);
        })()`),
      )
      .toBe(true);
    expect(await page.getByRole('cell', { name: 'uma' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'console-rollout');
  });

  it('changes the rollout, and /auth/login follows it; lowering it asks for the password again', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, 'root');
    await page.getByTestId('rollout-percent').waitFor();
    expect(await loginStatus('uma')).toBe(200);

    await page.getByLabel('New percentage').fill('0');
    await page.getByRole('button', { name: 'Set rollout' }).click();
    await confirmPassword(page);
    await expect.poll(() => page.getByTestId('rollout-percent').textContent()).toBe('0%');
    expect(await loginStatus('uma')).toBe(403);

    await page.getByLabel('New percentage').fill('100');
    await page.getByRole('button', { name: 'Set rollout' }).click();
    await expect.poll(() => page.getByTestId('rollout-percent').textContent()).toBe('100%');
    expect(await loginStatus('uma')).toBe(200);
  });

  it('asks for the password before a change it does not call destructive once the sign-in is older than REAUTH_MAX_AGE, because the server refuses it', async () => {
    // Over HTTP, as curl sends it (no Origin): an admin change with a token of a login 5 minutes old and no proof is refused.
    const { access_token: token } = (await (await post('/auth/login', { username: 'root', password: TEST_PASSWORD })).json()) as { access_token: string };
    clock.advanceSeconds(301);
    const refused = await post('/admin/users', { username: 'nora', password: TEST_PASSWORD }, { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('reauth_required');

    const page = await (await newContext(browser)).newPage();
    await signIn(page, 'root');
    await page.getByRole('button', { name: 'Users' }).click();
    clock.advanceSeconds(301);
    const create = page.getByRole('form', { name: 'Create a user' });
    await create.getByLabel('Username').fill('nora');
    await create.getByLabel('Password').fill(TEST_PASSWORD);
    await create.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('dialog', { name: 'Confirm with your password' }).getByText('Confirm this change with your password.').waitFor();
    await confirmPassword(page);
    await page.getByText('Created nora.').waitFor();
    expect(await server.tessera.store.users.findByUsername('nora')).not.toBeNull();
  });

  it("disables a user after the admin's password is confirmed, and their token is refused at once; then sets their email", async () => {
    const dora = await createUser(server.tessera, 'dora');
    // An address dora set herself and never confirmed: the console says it is not mailed.
    await server.tessera.store.users.update(dora.id, { email: 'dora@home.example' }, Date.now());
    const { access_token: token } = (await (await post('/auth/login', { username: 'dora', password: TEST_PASSWORD })).json()) as { access_token: string };
    const api = () => fetch(`${server.origin}/api/users`, { headers: { authorization: `Bearer ${token}` } });
    expect((await api()).status).toBe(200);

    const page = await (await newContext(browser)).newPage();
    await signIn(page, 'root');
    await page.getByRole('button', { name: 'Users' }).click();
    await page.getByLabel('Find a user by name').fill('dora');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('dora@home.example (unconfirmed by the user: not mailed)').waitFor();
    await page.getByRole('button', { name: 'Disable dora' }).click();
    await confirmPassword(page);
    await page.getByText('dora is disabled and signed out everywhere.').waitFor();
    expect((await api()).status).toBe(401);
    // Within five minutes of the confirmation, the next change asks nothing.
    page.once('dialog', (prompt) => void prompt.accept('dora@example.com'));
    await page.getByRole('button', { name: 'Email of dora' }).click();
    await page.getByText("dora's email is now dora@example.com.").waitFor();
    expect((await server.tessera.store.users.findByUsername('dora'))?.email).toBe('dora@example.com');
    // The operator vouches for the address they set.
    await expect.poll(() => page.getByText('unconfirmed by the user').count()).toBe(0);
    await screenshot(page, 'console-users');

    await page.getByRole('button', { name: 'Keys' }).click();
    await page.getByRole('cell', { name: 'access tokens' }).first().waitFor();
    await screenshot(page, 'console-keys');
    await page.getByRole('button', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'admin.user.disable' }).waitFor();
    await screenshot(page, 'console-audit');
  });
});
