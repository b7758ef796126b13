import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, screenshot, startPageServer } from '../support/browser.js';
import { chromiumInstalled } from '../support/services.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { TEST_PASSWORD, createUser } from '../support/tessera.js';

const CLI_ACTOR = { id: 'test', client: { ip: null, userAgent: null } };

describe.runIf(chromiumInstalled())('the account page (/account) in Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startPageServer>>;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
    // JWTs for nobody by default: `sam` meets the banner; `test` is let in by an override.
    // Eleven sign-ins within a minute from one address: the per-address login budget is not what this tests.
    server = await startPageServer({ JWT_ROLLOUT_PERCENT: '0', AUTH_RATE_LIMIT: '0', SMTP_URL: sink.url, MAIL_FROM: 'Example Auth <auth@example.com>' });
    await createUser(server.tessera, 'test');
    await createUser(server.tessera, 'sam');
    await server.tessera.admin.rollout.setOverride('test', true, CLI_ACTOR);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.stop();
  });

  const signIn = async (page: Page, username: string, password = TEST_PASSWORD) => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  /** A new user let in to JWTs, signed in on the account page of a fresh browser context. */
  const signedInNewUser = async (username: string) => {
    const user = await createUser(server.tessera, username);
    await server.tessera.admin.rollout.setOverride(username, true, CLI_ACTOR);
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${server.origin}/account`);
    await signIn(page, username);
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    return { user, page };
  };

  it('signs in as test, shows this device, and signs out everywhere: the old access token is then refused', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${server.origin}/account`);
    await signIn(page, 'test', 'not the password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong username or password.');

    const login = page.waitForResponse((response) => response.url().endsWith('/auth/login') && response.status() === 200);
    await signIn(page, 'test');
    const accessToken = ((await (await login).json()) as { access_token: string }).access_token;
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    await expect.poll(() => page.getByText('This device').count()).toBe(1);
    expect(await page.getByText('Signed in as').textContent()).toContain('test');
    await screenshot(page, 'account-devices');

    const api = (token: string) => fetch(`${server.origin}/api/users`, { headers: { authorization: `Bearer ${token}` } });
    expect((await api(accessToken)).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByText('You are signed out everywhere').waitFor();
    expect((await api(accessToken)).status).toBe(401);
    // The refresh cookie ended with the rest: a reload asks to sign in again.
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('sets the email address once the password is confirmed, shows it unverified, and confirms it from the mailed link', async () => {
    const { user: eve, page } = await signedInNewUser('eve');
    const form = page.getByRole('form', { name: 'Email address' });
    await form.getByLabel('Email').fill('eve@example.com');
    await form.getByLabel('Your password').fill('not the password');
    await form.getByRole('button', { name: 'Save email' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('The password is wrong.');
    expect((await server.tessera.store.users.findById(eve.id))?.email).toBeNull();

    await form.getByLabel('Your password').fill(TEST_PASSWORD);
    await form.getByRole('button', { name: 'Save email' }).click();
    await form.getByText('Email address set to eve@example.com. We sent a confirmation link to it').waitFor();
    expect((await server.tessera.store.users.findById(eve.id))?.email).toBe('eve@example.com');
    await form.getByText('is unverified — check your inbox').waitFor();
    await screenshot(page, 'account-email');

    // "Send the link again" mails a new one; the first stops working.
    await expect.poll(() => sink.messages.filter((m) => m.to === 'eve@example.com').length).toBe(1);
    await form.getByRole('button', { name: 'Send the link again' }).click();
    await expect.poll(() => sink.messages.filter((m) => m.to === 'eve@example.com').length).toBe(2);
    const link = /http\S+#confirm-email=[\w-]+/.exec(sink.messages.filter((m) => m.to === 'eve@example.com').at(-1)!.text ?? '')![0];
    expect(link.startsWith(`${server.origin}/account#confirm-email=`)).toBe(true);

    // Opened from the mail in a new tab (signed in through the refresh cookie), the link confirms the
    // address and its token leaves the address bar.
    const opened = await page.context().newPage();
    await opened.goto(link);
    await opened.getByText('Email address eve@example.com confirmed.').waitFor();
    expect(opened.url()).toBe(`${server.origin}/account`);
    expect(await opened.getByText('is unverified').count()).toBe(0);
    expect((await server.tessera.store.users.findById(eve.id))?.emailVerifiedAt).not.toBeNull();
  });

  it('keeps the user signed in across a reload (the refresh cookie), and changes the password', async () => {
    const { page } = await signedInNewUser('pia');
    await page.reload();
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();

    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed. Every other device has been signed out.').waitFor();
    await screenshot(page, 'account-password-changed');
    const relogin = await fetch(`${server.origin}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'pia', password: 'a brand new passphrase' }),
    });
    expect(relogin.status).toBe(200);
  });

  it('stays signed in and says so when Tessera cannot be reached to sign out; once it answers, the sign-out holds across a reload', async () => {
    const { page } = await signedInNewUser('una');

    // The network drops the sign-out: the HttpOnly refresh cookie is still there, so the page must not claim otherwise.
    await page.route('**/auth/logout', (route) => route.abort('internetdisconnected'));
    await page.getByRole('button', { name: /this device/ }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('You are still signed in. Tessera could not be reached. Check your connection and try again.');
    expect(await page.getByText('You are signed out on this device.').count()).toBe(0);

    await page.unroute('**/auth/logout');
    await page.getByRole('button', { name: /this device/ }).click();
    await page.getByText('You are signed out on this device.').waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('keeps this device signed in after a password change, across a reload', async () => {
    const { page } = await signedInNewUser('quinn');
    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByLabel('New password').fill('another new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed. Every other device has been signed out.').waitFor();
    await expect.poll(() => page.getByText('This device').count()).toBe(1);
    await page.reload();
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    expect(await page.getByText('Signed in as').textContent()).toContain('quinn');
  });

  it('shows a session user the migration banner with the sunset date, and switches them to JWTs from it', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${server.origin}/account`);
    // Outside the rollout: the form signs in with a session instead, as the old client did.
    await signIn(page, 'sam');
    const banner = page.getByRole('status', { name: 'Sign-in change' });
    await banner.waitFor();
    const sunset = new Date(server.tessera.config.sessionsSunset).toLocaleDateString('en-GB', { dateStyle: 'long', timeZone: 'UTC' });
    expect(await banner.textContent()).toContain(`stops working on ${sunset}`);
    await screenshot(page, 'account-migration-banner');

    // Not in the rollout yet: the switch is refused in words, and the session keeps working.
    await page.getByRole('button', { name: 'Switch now' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not moved to the new sign-in yet');

    await server.tessera.admin.rollout.setOverride('sam', true, CLI_ACTOR);
    await page.getByRole('button', { name: 'Switch now' }).click();
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    await expect.poll(() => page.getByText('This device').count()).toBe(1);
    expect(await page.getByRole('status', { name: 'Sign-in change' }).count()).toBe(0);
  });

  it("shows the same banner in a team's own page through <tessera-migration-banner>, only to session users", async () => {
    await createUser(server.tessera, 'tom');
    const context = await newContext(browser, { width: 390, height: 700 });
    const page = await context.newPage();
    // The team's own page, on the origin its API (and its session cookie) lives on.
    await page.route(`${server.origin}/team/dashboard`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Team app</title><h1>Team dashboard</h1>
          <tessera-migration-banner style="--tessera-banner-background: #e8f0ff"></tessera-migration-banner>
          <script type="module" src="/ui/migration-banner.js"></script>`,
      }),
    );
    await page.goto(`${server.origin}/team/dashboard`);
    await page.getByRole('heading', { name: 'Team dashboard' }).waitFor();
    expect(await page.getByRole('status').isVisible()).toBe(false);

    await page.request.post(`${server.origin}/api/login`, { data: { username: 'tom', password: TEST_PASSWORD } });
    await page.reload();
    const banner = page.getByRole('status');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Session sign-in stops working on');
    expect(await page.getByRole('link', { name: 'How to switch' }).getAttribute('href')).toBe(server.tessera.config.migrationGuideUrl);
    await screenshot(page, 'migration-banner-in-team-app');
  });

  it("switches a session user to JWTs from the banner in a team's own page, without handing the page's scripts a refresh token", async () => {
    await createUser(server.tessera, 'val');
    await server.tessera.admin.rollout.setOverride('val', true, CLI_ACTOR);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.route(`${server.origin}/team/app`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Team app</title><h1>Team app</h1>
          <tessera-migration-banner exchange-url="/auth/session/exchange"></tessera-migration-banner>
          <script>document.addEventListener('tessera-migrated', (event) => { window.migrated = event.detail; });</script>
          <script type="module" src="/ui/migration-banner.js"></script>`,
      }),
    );
    await page.request.post(`${server.origin}/api/login`, { data: { username: 'val', password: TEST_PASSWORD } });
    await page.goto(`${server.origin}/team/app`);
    await page.getByRole('button', { name: 'Switch now' }).click();
    const detail = (await page.waitForFunction(() => (globalThis as unknown as { migrated?: object }).migrated)).jsonValue();
    expect(await detail).toEqual({ access_token: expect.stringMatching(/^eyJ/), token_type: 'Bearer', expires_in: expect.any(Number) });
    const cookie = (await context.cookies()).find((c) => c.name === '__Secure-refresh_token');
    expect(cookie).toMatchObject({ httpOnly: true, path: '/auth' });
    expect(JSON.stringify(await detail)).not.toContain(cookie!.value);
  });

  it('is readable on a phone and usable with the keyboard alone', async () => {
    const page = await (await newContext(browser, { width: 360, height: 740 })).newPage();
    await page.goto(`${server.origin}/account`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    // The form takes the focus itself, once drawn: no click needed.
    await page.getByLabel('Username').and(page.locator(':focus')).waitFor();
    await page.keyboard.type('test');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await screenshot(page, 'account-phone');
  });
});
