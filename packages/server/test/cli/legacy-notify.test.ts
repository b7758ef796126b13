import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tessera } from '../support/cli.js';
import { testClockAtRealTime } from '../support/clock.js';
import { freePort } from '../support/ports.js';
import { sessionCookieFor, withSession } from '../support/sessions.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { TEST_PASSWORD, TEST_SECRET, createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

const FROM = 'Example Auth <auth@example.com>';

describe('tessera legacy-usage notify', () => {
  let sink: SmtpSink;
  let t: TestInstance;
  let env: Record<string, string>;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink.stop());

  beforeEach(async () => {
    // The server mails confirmation links through the same sink as the command's notices.
    t = await startTestInstance(
      { AUTH_RATE_LIMIT: '0', SMTP_URL: sink.url, MAIL_FROM: FROM, PUBLIC_URL: 'https://auth.example.com' },
      { clock: testClockAtRealTime() },
    );
    env = {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      DATABASE_URL: `sqlite:${t.dir}/tessera.db`,
      PUBLIC_URL: 'https://auth.example.com',
      SESSIONS_SUNSET: '2027-03-01',
      SMTP_URL: sink.url,
      MAIL_FROM: FROM,
    };
    sink.messages.length = 0;
  });
  afterEach(() => t.close());

  /** A user who signed in with a session from `client`, with an email address an operator gave (verified) or none. */
  const sessionUser = async (username: string, email: string | null, client = 'python-requests/2.32.3') => {
    // Each user is seen a minute after the one before: the command lists the most recently seen first.
    t.clock.advanceSeconds(60);
    const user = await createUser(t.tessera, username);
    if (email !== null) await t.tessera.store.users.update(user.id, { email, emailVerifiedAt: t.clock.now() }, t.clock.now());
    const cookie = await sessionCookieFor(t.app, username, undefined, { 'user-agent': client });
    await withSession(t.app, '/api/users', cookie, { 'user-agent': client });
    await t.tessera.legacyUsage.flush();
    return user;
  };
  const notify = (...args: string[]) => tessera(['legacy-usage', 'notify', ...args], env);
  const told = async () => (await t.tessera.store.legacyNotices.list(Date.UTC(2027, 2, 1))).map((n) => n.userId);

  it('sends a session user with an email exactly one message naming their client, the sunset date and the guide', async () => {
    const rosa = await sessionUser('rosa', 'rosa@example.com');
    const result = await notify();
    expect(result.code).toBe(0);
    await expect.poll(() => sink.messages.length).toBe(1);
    const [mail] = sink.messages;
    expect(mail).toMatchObject({ envelope: { from: 'auth@example.com', to: ['rosa@example.com'] }, from: '"Example Auth" <auth@example.com>', to: 'rosa@example.com' });
    expect(mail!.subject).toBe('Sign-in with sessions at auth.example.com ends on 2027-03-01');
    expect(mail!.text).toContain('Hello rosa,');
    // Named by the parser, never quoted: a client it does not know is "an unrecognised client".
    expect(mail!.text).toContain('  - an unrecognised client\n');
    expect(mail!.text).not.toContain('python-requests');
    expect(mail!.text).toContain('https://auth.example.com/docs/auth-migration-guide.md');
    expect(result.stdout).toMatch(/^USERNAME\s+EMAIL\s+CLIENTS\s+OUTCOME\nrosa\s+rosa@example.com\s+python-requests\/2.32.3\s+sent\n/);
    expect(result.stdout).toContain('1 told that sessions end on 2027-03-01; 0 told before; 0 could not be reached');
    expect(await told()).toEqual([rosa.id]);
    await t.tessera.audit.flush();
    expect(await t.tessera.audit.query({ type: 'legacy.notice_sent', limit: 5 })).toEqual([
      expect.objectContaining({ userId: rosa.id, actor: 'cli', detail: { sunset: '2027-03-01T00:00:00.000Z', clients: 1 } }),
    ]);
  });

  it('sends nothing when run again: the notice of one sunset date is never sent twice', async () => {
    await sessionUser('rosa', 'rosa@example.com');
    expect((await notify()).code).toBe(0);
    await expect.poll(() => sink.messages.length).toBe(1);
    const again = await notify('--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ sunset: '2027-03-01', dry_run: false, users: [{ username: 'rosa', outcome: 'already_told' }] });
    // A message the second run had sent would have reached the sink before the command returned.
    expect(sink.messages).toHaveLength(1);
  });

  it('sends one message when two runs go at once (two operators): the other run reports the user as told', async () => {
    await sessionUser('rosa', 'rosa@example.com');
    const runs = await Promise.all([notify('--json'), notify('--json')]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    const outcomes = runs.map((r) => (JSON.parse(r.stdout) as { users: Array<{ outcome: string }> }).users[0]!.outcome);
    expect(outcomes.sort()).toEqual(['already_told', 'sent']);
    await expect.poll(() => sink.messages.length).toBe(1);
  });

  it('lists a session user without an email address as unreachable, and still tells the others', async () => {
    await sessionUser('saul', null, 'reporting-cron/1.4');
    await sessionUser('rosa', 'rosa@example.com');
    const result = await notify('--json');
    expect(result.code).toBe(0);
    const { users } = JSON.parse(result.stdout) as { users: Array<{ username: string; outcome: string; clients: string[] }> };
    expect(users).toEqual([
      expect.objectContaining({ username: 'rosa', outcome: 'sent' }),
      expect.objectContaining({ username: 'saul', outcome: 'no_email', clients: ['reporting-cron/1.4'] }),
    ]);
    await expect.poll(() => sink.messages.map((m) => m.to)).toEqual(['rosa@example.com']);
  });

  it('sends and records nothing on --dry-run, listing who would be told (even without SMTP_URL)', async () => {
    await sessionUser('rosa', 'rosa@example.com');
    const { SMTP_URL: _unused, ...withoutSmtp } = env;
    const result = await tessera(['legacy-usage', 'notify', '--dry-run'], withoutSmtp);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rosa\s+rosa@example.com\s+python-requests\/2.32.3\s+would send\n/);
    expect(result.stdout).toContain('dry run, nothing sent: 1 would be told');
    expect(await told()).toEqual([]);
    // Then the real run sends it: the dry run recorded nothing.
    expect((await notify()).code).toBe(0);
    await expect.poll(() => sink.messages.length).toBe(1);
  });

  it('refuses to run without SMTP_URL or MAIL_FROM, saying what to set, and records nothing', async () => {
    await sessionUser('rosa', 'rosa@example.com');
    const { SMTP_URL: _smtp, ...noSmtp } = env;
    const refused = await tessera(['legacy-usage', 'notify'], noSmtp);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^tessera: SMTP_URL is not set, so nothing was sent: set SMTP_URL \(smtp:\/\/host:587/);
    const { MAIL_FROM: _from, ...noFrom } = env;
    expect((await tessera(['legacy-usage', 'notify'], noFrom)).stderr).toMatch(/^tessera: MAIL_FROM is not set/);
    expect(await told()).toEqual([]);
  });

  it('lists the users as not sent when the mail server is down, exits 1, records nobody, and tells them on a later run', async () => {
    await sessionUser('rosa', 'rosa@example.com');
    await sessionUser('tomas', 'tomas@example.com', 'login-only/1.0');
    const down = await tessera(['legacy-usage', 'notify', '--json'], { ...env, SMTP_URL: `smtp://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe("tessera: the mail server did not take 2 message(s); run the command again to retry them (nobody is told twice)\n");
    const { users } = JSON.parse(down.stdout) as { users: Array<{ username: string; outcome: string; error?: string }> };
    expect(users.map((u) => [u.username, u.outcome])).toEqual([
      ['tomas', 'not_sent'],
      ['rosa', 'not_sent'],
    ]);
    expect(users[0]!.error).toMatch(/ECONNREFUSED|connect/i);
    expect(await told()).toEqual([]);

    expect((await notify()).code).toBe(0);
    await expect.poll(() => sink.messages.map((m) => m.to).sort()).toEqual(['rosa@example.com', 'tomas@example.com']);
  });

  it('goes on to the next user when the mail server refuses one mailbox, which is tried again next time', async () => {
    const refused = await sessionUser('uma', 'refused-uma@example.com');
    await sessionUser('rosa', 'rosa@example.com');
    const result = await notify('--json');
    expect(result.code).toBe(1);
    const { users } = JSON.parse(result.stdout) as { users: Array<{ username: string; outcome: string; error?: string }> };
    expect(users).toEqual([
      expect.objectContaining({ username: 'rosa', outcome: 'sent' }),
      expect.objectContaining({ username: 'uma', outcome: 'not_sent', error: expect.stringContaining('550') }),
    ]);
    expect(await told()).not.toContain(refused.id);
  });

  it('tells nobody whose account is disabled, and leaves out users not seen within --days', async () => {
    const dora = await sessionUser('dora', 'dora@example.com');
    await t.tessera.store.users.update(dora.id, { disabledAt: t.clock.now() }, t.clock.now());
    const result = await notify('--days', '1', '--json');
    expect(JSON.parse(result.stdout).users).toEqual([expect.objectContaining({ username: 'dora', outcome: 'disabled' })]);
    expect(await told()).toEqual([]);
    expect((await notify('--days', '0')).stderr).toMatch(/^tessera: --days must be a whole number from 1 to 3650/);
  });

  describe('addresses users set themselves', () => {
    const HOSTILE = 'ACTION REQUIRED: your account is locked. Re-verify at https://evil.example';
    type Outcomes = { users: Array<{ username: string; outcome: string }> };

    /** The user sets their own address through the account API, as anyone signed in may. */
    const setOwnEmail = async (username: string, email: string) => {
      const { access_token } = await loginTokens(t.app, username);
      const response = await t.app.inject({
        method: 'PUT',
        url: '/api/me/email',
        headers: { authorization: `Bearer ${access_token}` },
        payload: { password: TEST_PASSWORD, email },
      });
      return { response, token: access_token };
    };
    const linkToken = (text: string | null) => /#confirm-email=([\w-]+)/.exec(text ?? '')?.[1];

    it('mails a confirmation link, tells nobody at the address until the user opens it, then tells them', async () => {
      const mallory = await sessionUser('mallory', null, HOSTILE);
      const { response, token } = await setOwnEmail('mallory', 'ceo@victim-corp.example');
      expect(response.json()).toMatchObject({ email: 'ceo@victim-corp.example', email_verified: false, email_confirmation: 'sent' });
      await expect.poll(() => sink.messages.length).toBe(1);
      const [confirmation] = sink.messages;
      expect(confirmation).toMatchObject({ to: 'ceo@victim-corp.example', subject: 'Confirm your email address at auth.example.com' });
      expect(confirmation!.text).toContain('https://auth.example.com/account#confirm-email=');

      const skipped = await notify('--json');
      expect(skipped.code).toBe(0);
      expect((JSON.parse(skipped.stdout) as Outcomes).users).toEqual([expect.objectContaining({ username: 'mallory', outcome: 'unverified' })]);
      expect((await notify()).stdout).toMatch(/mallory\s+ceo@victim-corp.example\s+.*address not confirmed by the user\n[^]*1 could not be reached \(0 without an email address, 1 with an unconfirmed address/);
      expect(await told()).toEqual([]);
      expect(sink.messages).toHaveLength(1);

      const confirmed = await t.app.inject({
        method: 'POST',
        url: '/api/me/email/confirm',
        headers: { authorization: `Bearer ${token}` },
        payload: { token: linkToken(confirmation!.text) },
      });
      expect(confirmed.statusCode).toBe(200);
      expect(confirmed.json()).toMatchObject({ email: 'ceo@victim-corp.example', email_verified: true });
      expect((await notify()).code).toBe(0);
      await expect.poll(() => sink.messages.length).toBe(2);
      expect(await told()).toEqual([mallory.id]);
      // The one the user now receives names their client in words, never with the header's text.
      expect(sink.messages[1]!.text).toContain('  - an unrecognised client\n');
      for (const mail of sink.messages) expect(JSON.stringify(mail)).not.toMatch(/ACTION REQUIRED|evil\.example/);
    });

    it('names a browser client by its parsed name and system', async () => {
      await sessionUser('rosa', 'rosa@example.com', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 ACTION-REQUIRED');
      expect((await notify()).code).toBe(0);
      await expect.poll(() => sink.messages.length).toBe(1);
      expect(sink.messages[0]!.text).toContain('  - Firefox on Linux\n');
      expect(sink.messages[0]!.text).not.toMatch(/Mozilla|ACTION-REQUIRED|133/);
    });

    it('sends to an address an operator set (tessera users set-email) at once: the operator vouches for it', async () => {
      await sessionUser('tomas', null);
      await setOwnEmail('tomas', 'tomas@example.com');
      await expect.poll(() => sink.messages.length).toBe(1);
      const set = await tessera(['users', 'set-email', 'tomas', 'tomas@example.com'], env);
      expect(set.code).toBe(0);
      expect((await notify()).code).toBe(0);
      await expect.poll(() => sink.messages.map((m) => m.subject)).toEqual([
        'Confirm your email address at auth.example.com',
        'Sign-in with sessions at auth.example.com ends on 2027-03-01',
      ]);
    });

    it('refuses at send time an address older code stored that the account API would not accept, listing it', async () => {
      const vic = await sessionUser('vic', null);
      // Written directly, as an import by an older version could have: two addresses in one field.
      await t.tessera.store.users.update(vic.id, { email: 'a,b@evil.example', emailVerifiedAt: t.clock.now() }, t.clock.now());
      const result = await notify('--json');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as Outcomes).users).toEqual([expect.objectContaining({ username: 'vic', outcome: 'invalid_email' })]);
      expect((await notify()).stdout).toContain('stored address is not a valid email address');
      expect(sink.messages).toEqual([]);
      expect(await told()).toEqual([]);
    });
  });
});
