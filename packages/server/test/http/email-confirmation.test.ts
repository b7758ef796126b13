import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { CLI_ACTOR } from '../../src/admin/actor.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { TEST_PASSWORD, createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

const HOUR_MS = 3_600_000;

describe('confirming the email address a user sets', () => {
  let sink: SmtpSink;
  let t: TestInstance;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink.stop());
  beforeEach(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', SMTP_URL: sink.url, MAIL_FROM: 'Example Auth <auth@example.com>', PUBLIC_URL: 'https://auth.example.com' });
    sink.messages.length = 0;
  });
  afterEach(() => t.close());

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  /** A user signed in, who sets `email` as their own address; answers their access token. */
  const userWithOwnEmail = async (username: string, email: string) => {
    await createUser(t.tessera, username);
    const { access_token } = await loginTokens(t.app, username);
    const set = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access_token), payload: { password: TEST_PASSWORD, email } });
    expect(set.json()).toMatchObject({ email, email_verified: false, email_confirmation: 'sent' });
    return access_token;
  };
  /** The token of the last confirmation link mailed to `to`. */
  const mailedToken = async (to: string, count = 1) => {
    await expect.poll(() => sink.messages.filter((m) => m.to === to).length).toBe(count);
    const mail = sink.messages.filter((m) => m.to === to).at(-1)!;
    return /#confirm-email=([\w-]+)/.exec(mail.text ?? '')![1]!;
  };
  const confirm = (access: string, token: string) => t.app.inject({ method: 'POST', url: '/api/me/email/confirm', headers: as(access), payload: { token } });
  const resend = (access: string) => t.app.inject({ method: 'POST', url: '/api/me/email/confirmation', headers: as(access) });
  const verifiedAt = async (username: string) => (await t.tessera.store.users.findByUsername(username))!.emailVerifiedAt;

  it('mails a link that carries no text of the user and verifies the address once, audited', async () => {
    const access = await userWithOwnEmail('ada', 'ada@example.com');
    const token = await mailedToken('ada@example.com');
    const [mail] = sink.messages;
    expect(mail!.text).not.toContain('ada,');
    expect((await t.app.inject({ url: '/api/me/account', headers: as(access) })).json()).toMatchObject({ email_verified: false });
    const confirmed = await confirm(access, token);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ email: 'ada@example.com', email_verified: true });
    expect(await verifiedAt('ada')).toBe(t.clock.now());
    await t.tessera.audit.flush();
    expect(await t.tessera.audit.query({ type: 'account.email_confirmed', limit: 5 })).toHaveLength(1);

    const again = await confirm(access, token);
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/^This confirmation link is not valid for your account: it was used/) });
  });

  it('refuses a link opened after 24 hours, leaving the address unverified', async () => {
    await userWithOwnEmail('bea', 'bea@example.com');
    const token = await mailedToken('bea@example.com');
    t.clock.advance(24 * HOUR_MS);
    // The access token from before has expired too: the user signs in again to open the link.
    const { access_token } = await loginTokens(t.app, 'bea');
    const late = await confirm(access_token, token);
    expect(late.statusCode).toBe(400);
    expect(late.json().error_description).toMatch(/^This confirmation link has expired/);
    expect(await verifiedAt('bea')).toBeNull();
  });

  it('refuses the link when another account opens it: whoever receives it cannot confirm it for the account that asked', async () => {
    await userWithOwnEmail('mallory', 'ceo@victim-corp.example');
    const token = await mailedToken('ceo@victim-corp.example');
    await createUser(t.tessera, 'ceo');
    const { access_token: victim } = await loginTokens(t.app, 'ceo');
    expect((await confirm(victim, token)).statusCode).toBe(400);
    expect(await verifiedAt('mallory')).toBeNull();
  });

  it('makes the link of an earlier address useless once the address changes again', async () => {
    const access = await userWithOwnEmail('cy', 'cy@example.com');
    const first = await mailedToken('cy@example.com');
    await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access), payload: { password: TEST_PASSWORD, email: 'cy@example.org' } });
    const second = await mailedToken('cy@example.org');
    expect((await confirm(access, first)).statusCode).toBe(400);
    expect((await confirm(access, second)).json()).toMatchObject({ email: 'cy@example.org', email_verified: true });
  });

  it('refuses a link whose address an operator changed meanwhile, which the operator vouches for', async () => {
    const access = await userWithOwnEmail('dee', 'dee@example.com');
    const token = await mailedToken('dee@example.com');
    const dee = (await t.tessera.store.users.findByUsername('dee'))!;
    await t.tessera.admin.accounts.setEmail(dee.id, 'dee@corp.example', CLI_ACTOR);
    expect((await confirm(access, token)).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/me/account', headers: as(access) })).json()).toMatchObject({ email: 'dee@corp.example', email_verified: true });
  });

  it('mails a new link on request (the one before stops working), at most 5 an hour', async () => {
    const access = await userWithOwnEmail('eve', 'eve@example.com');
    const first = await mailedToken('eve@example.com');
    const resent = await resend(access);
    expect(resent.json()).toMatchObject({ email: 'eve@example.com', email_verified: false, email_confirmation: 'sent' });
    const second = await mailedToken('eve@example.com', 2);
    expect((await confirm(access, first)).statusCode).toBe(400);
    for (let i = 0; i < 3; i++) expect((await resend(access)).statusCode).toBe(200);
    const over = await resend(access);
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toBe('rate_limited');
    expect(sink.messages).toHaveLength(5);
    // The last link mailed still works; the second was replaced.
    expect((await confirm(access, second)).statusCode).toBe(400);
    expect((await confirm(access, await mailedToken('eve@example.com', 5))).statusCode).toBe(200);
    // Confirmed: nothing would be mailed, so the answer says why rather than that the budget is spent.
    expect((await resend(access)).statusCode).toBe(409);
    const another = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access), payload: { password: TEST_PASSWORD, email: 'eve@elsewhere.example' } });
    expect(another.statusCode).toBe(429);
    expect((await t.tessera.store.users.findByUsername('eve'))!.email).toBe('eve@example.com');
  });

  it('spends the hourly budget only on mails sent: wrong passwords, refused addresses and removing the address spend none of it', async () => {
    const access = await userWithOwnEmail('gil', 'gil@example.com');
    const change = (password: string, email: string | null) =>
      t.app.inject({ method: 'PUT', url: '/api/me/email', headers: as(access), payload: { password, email } });
    for (let i = 0; i < 5; i++) expect((await change('not the password', 'x@example.com')).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await change(TEST_PASSWORD, 'not an address')).statusCode).toBe(400);
    for (let i = 0; i < 4; i++) {
      expect((await change(TEST_PASSWORD, null)).statusCode).toBe(200);
      expect((await resend(access)).statusCode).toBe(409);
      expect((await change(TEST_PASSWORD, 'gil@example.com')).json()).toMatchObject({ email_confirmation: 'sent' });
    }
    // One mail on setting the address, four more on setting it again: the fifth is the last this hour.
    expect(sink.messages).toHaveLength(5);
    expect((await resend(access)).statusCode).toBe(429);
    expect((await change(TEST_PASSWORD, null)).statusCode).toBe(200);
  });

  it('answers 409 when asked for a link with no address or an address already confirmed', async () => {
    await createUser(t.tessera, 'fay');
    const { access_token } = await loginTokens(t.app, 'fay');
    const none = await resend(access_token);
    expect(none.statusCode).toBe(409);
    expect(none.json()).toEqual({ error: 'conflict', error_description: 'You have no email address to confirm; set one first' });
    const fay = (await t.tessera.store.users.findByUsername('fay'))!;
    await t.tessera.admin.accounts.setEmail(fay.id, 'fay@example.com', CLI_ACTOR);
    expect((await resend(access_token)).json().error_description).toBe('Your email address is already confirmed');
  });
});

describe('an address a user sets on a server that sends no mail', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
  });
  afterAll(() => t.close());

  it('is stored unverified, and the answer says it cannot be confirmed until mail is configured', async () => {
    await createUser(t.tessera, 'gus');
    const { access_token } = await loginTokens(t.app, 'gus');
    const headers = { authorization: `Bearer ${access_token}` };
    const set = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers, payload: { password: TEST_PASSWORD, email: 'gus@example.com' } });
    expect(set.json()).toMatchObject({ email: 'gus@example.com', email_verified: false, email_confirmation: 'mail_not_configured' });
    expect((await t.app.inject({ method: 'POST', url: '/api/me/email/confirmation', headers })).json()).toMatchObject({ email_confirmation: 'mail_not_configured' });
    expect(await t.tessera.store.emailConfirmations.find(set.json().id)).toBeNull();
  });
});

describe('an address an operator changes', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
  });
  afterAll(() => t.close());

  it('stays verified when changed in the same millisecond as it was verified (the clock does not move here)', async () => {
    const hal = await t.tessera.admin.accounts.create({ username: 'hal', password: TEST_PASSWORD, role: 'user', email: 'hal@example.com' }, CLI_ACTOR);
    await t.tessera.admin.accounts.setEmail(hal.id, 'hal@example.org', CLI_ACTOR);
    expect(await t.tessera.store.users.findById(hal.id)).toMatchObject({ email: 'hal@example.org', emailVerifiedAt: expect.any(Number) });
  });
});

describe('an address a user sets while the mail server is down', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', SMTP_URL: `smtp://127.0.0.1:${await freePort()}`, MAIL_FROM: 'auth@example.com' });
  });
  afterAll(() => t.close());

  it('is stored unverified, says the link was not sent, and keeps no pending link', async () => {
    const ida = await createUser(t.tessera, 'ida');
    const { access_token } = await loginTokens(t.app, 'ida');
    const set = await t.app.inject({ method: 'PUT', url: '/api/me/email', headers: { authorization: `Bearer ${access_token}` }, payload: { password: TEST_PASSWORD, email: 'ida@example.com' } });
    expect(set.json()).toMatchObject({ email: 'ida@example.com', email_verified: false, email_confirmation: 'not_sent' });
    expect(await t.tessera.store.emailConfirmations.find(ida.id)).toBeNull();
  });
});
