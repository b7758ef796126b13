import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminClient, apiStatus, cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';
import { HASHES, IMPORTED_PASSWORD } from '../passwords/imported-hash-fixtures.js';
import { testClockAtRealTime } from '../support/clock.js';

const jsonLines = (...users: object[]) => users.map((u) => JSON.stringify(u)).join('\n') + '\n';

describe('importing users with their existing password hashes', () => {
  let t: TestInstance;
  let env: Record<string, string>;
  const file = (name: string, contents: string) => {
    const path = join(t.dir, name);
    writeFileSync(path, contents);
    return path;
  };

  beforeEach(async () => {
    // Many logins from one address; the CLI, on the real clock, signs users out at its own time.
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { clock: testClockAtRealTime() });
    env = cliEnvFor(t);
  });
  afterEach(() => t.close());

  it('imports bcrypt, scrypt, PBKDF2 and argon2 users who then log in with their old passwords and are re-hashed with argon2id', async () => {
    const path = file(
      'users.jsonl',
      jsonLines(
        { username: 'bea', role: 'user', email: 'bea@example.com', password_hash: HASHES.bcrypt2b },
        { username: 'sam', password_hash: HASHES.djangoScrypt },
        { username: 'pia', role: 'support', password_hash: HASHES.djangoPbkdf2 },
        { username: 'ari', password_hash: HASHES.argon2i },
      ),
    );
    const result = await tessera(['users', 'import', path], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`imported ${path}: 4 new, 0 updated, 0 unchanged, 0 rejected`);

    for (const username of ['bea', 'sam', 'pia', 'ari']) {
      expect((await login(t.app, username, 'not the password')).statusCode).toBe(401);
      const before = (await t.tessera.store.users.findByUsername(username))!.passwordHash;
      expect(before).not.toMatch(/^\$argon2id\$/);
      const tokens = await loginTokens(t.app, username, IMPORTED_PASSWORD);
      expect(tokens.access_token).toBeTruthy();
      const after = (await t.tessera.store.users.findByUsername(username))!.passwordHash;
      expect(after).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await login(t.app, username, IMPORTED_PASSWORD)).statusCode).toBe(200);
    }
    expect(await t.tessera.store.users.findByUsername('bea')).toMatchObject({ email: 'bea@example.com', role: 'user' });
    expect((await t.tessera.store.users.findByUsername('pia'))!.role).toBe('support');
  });

  it('reads CSV with a header row, in any column order, with quoted fields', async () => {
    const path = file(
      'users.csv',
      'password_hash,username,email,role\n' +
        `"${HASHES.bcrypt2b}",Bea,"bea@example.com",user\n` +
        `${HASHES.werkzeugPbkdf2},werk,,admin\n`,
    );
    const result = await tessera(['users', 'import', path, '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 2, rejected: [], schemes: { bcrypt: 1, pbkdf2: 1 } });
    expect(await t.tessera.store.users.findByUsername('werk')).toMatchObject({ role: 'admin', email: null });
    expect((await login(t.app, 'Bea', IMPORTED_PASSWORD)).statusCode).toBe(200);
  });

  it('rejects an email field that is not one address, such as a list joined by a comma, as the account API does', async () => {
    const path = file(
      'emails.jsonl',
      jsonLines(
        { username: 'vic', email: 'victim,attacker@evil.example', password_hash: HASHES.bcrypt2b },
        { username: 'angle', email: 'attacker@evil.example>', password_hash: HASHES.bcrypt2b },
        { username: 'fine', email: ' fine@example.com ', password_hash: HASHES.bcrypt2b },
      ),
    );
    const result = await tessera(['users', 'import', path, '--json'], env);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { created: number; rejected: unknown[] };
    expect(report.created).toBe(1);
    expect(report.rejected).toEqual([
      { line: 1, username: 'vic', reason: 'email is not an email address' },
      { line: 2, username: 'angle', reason: 'email is not an email address' },
    ]);
    expect(await t.tessera.store.users.findByUsername('vic')).toBeNull();
    expect(await t.tessera.store.users.findByUsername('fine')).toMatchObject({ email: 'fine@example.com' });
  });

  it('lists every rejected line with its reason in a dry run, and writes nothing', async () => {
    const path = file(
      'mixed.jsonl',
      [
        JSON.stringify({ username: 'ok', password_hash: HASHES.bcrypt2b }),
        '{not json',
        JSON.stringify({ username: 'md5', password_hash: '5f4dcc3b5aa765d61d8327deb882cf99' }),
        '',
        JSON.stringify({ username: 'OK', password_hash: HASHES.bcrypt2b }),
        JSON.stringify({ username: '-bad', password_hash: HASHES.bcrypt2b }),
        JSON.stringify({ username: 'mail', email: 'nope', password_hash: HASHES.bcrypt2b }),
        JSON.stringify({ username: 'nohash' }),
        JSON.stringify({ username: 'role', role: 'Super User', password_hash: HASHES.bcrypt2b }),
      ].join('\n'),
    );
    const result = await tessera(['users', 'import', path, '--dry-run', '--json'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('tessera: 7 lines were rejected (listed above); fix them and run the import again\n');
    const report = JSON.parse(result.stdout) as { dry_run: boolean; created: number; rejected: unknown[] };
    expect(report).toMatchObject({ dry_run: true, created: 1 });
    expect(report.rejected).toEqual([
      { line: 2, username: null, reason: 'not valid JSON' },
      { line: 3, username: 'md5', reason: expect.stringMatching(/not bcrypt, argon2, scrypt or PBKDF2/) },
      { line: 5, username: 'ok', reason: 'duplicate username (first at 1)' },
      { line: 6, username: '-bad', reason: expect.stringMatching(/^username must be/) },
      { line: 7, username: 'mail', reason: 'email is not an email address' },
      { line: 8, username: 'nohash', reason: 'password_hash is missing' },
      { line: 9, username: 'role', reason: expect.stringMatching(/^role must be/) },
    ]);
    expect(await t.tessera.store.users.count()).toBe(0);

    const table = await tessera(['users', 'import', path, '--dry-run'], env);
    expect(table.stdout).toMatch(/^dry run: nothing written; would import .*: 1 new, 0 updated, 0 unchanged, 7 rejected$/m);
    expect(table.stdout).toMatch(/^LINE\s+USERNAME\s+REASON$/m);
    expect(table.stdout).toMatch(/^2\s+-\s+not valid JSON$/m);
    expect(await t.tessera.store.users.count()).toBe(0);
  });

  it('imports the good lines of a file with bad ones, and exits 1 naming how many were rejected', async () => {
    const path = file('some-bad.jsonl', jsonLines({ username: 'good', password_hash: HASHES.bcrypt2b }, { username: 'bad', password_hash: 'x' }));
    const result = await tessera(['users', 'import', path], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/1 new, 0 updated, 0 unchanged, 1 rejected/);
    expect(await t.tessera.store.users.findByUsername('good')).not.toBeNull();
  });

  it('updates on a second run instead of duplicating, and keeps a password the user already has in Tessera', async () => {
    const first = jsonLines(
      { username: 'bea', password_hash: HASHES.bcrypt2b },
      { username: 'sam', password_hash: HASHES.djangoScrypt },
    );
    await tessera(['users', 'import', file('first.jsonl', first)], env);
    const again = await tessera(['users', 'import', file('again.jsonl', first), '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 2 });

    await loginTokens(t.app, 'bea', IMPORTED_PASSWORD); // re-hashed with argon2id
    const rehashed = (await t.tessera.store.users.findByUsername('bea'))!.passwordHash;
    const changed = jsonLines(
      { username: 'bea', role: 'support', email: 'bea@example.com', password_hash: HASHES.bcrypt2yPhp },
      { username: 'sam', password_hash: HASHES.bcrypt2yPhp },
    );
    const third = await tessera(['users', 'import', file('changed.jsonl', changed), '--json'], env);
    expect(JSON.parse(third.stdout)).toMatchObject({ created: 0, updated: 2, unchanged: 0, kept_password: 1, signed_out: 1 });
    expect(await t.tessera.store.users.count()).toBe(2);
    expect(await t.tessera.store.users.findByUsername('bea')).toMatchObject({ role: 'support', email: 'bea@example.com', passwordHash: rehashed });
    expect((await login(t.app, 'bea', IMPORTED_PASSWORD)).statusCode).toBe(200);
    // sam never logged in to Tessera: the newer export's hash replaces the old one, and what the old one
    // reached ended when the command ran (on the real clock: this instance's is moved past it).
    t.clock.advance(Date.now() - t.clock.now() + 1000);
    expect((await login(t.app, 'sam', 'rasmuslerdorf')).statusCode).toBe(200);
    expect((await login(t.app, 'sam', IMPORTED_PASSWORD)).statusCode).toBe(401);
  });

  it('records one audit event per import, naming the command line and the counts', async () => {
    await tessera(['users', 'import', file('one.jsonl', jsonLines({ username: 'bea', password_hash: HASHES.bcrypt2b }))], env);
    const [event] = await t.tessera.audit.query({ type: 'admin.user.import', limit: 5 });
    expect(event).toMatchObject({ actor: 'cli', detail: { source: 'cli', created: 1, rejected: 0, schemes: { bcrypt: 1 } } });
  });

  it('says what is wrong with a CSV file without the columns it needs, or a file that does not exist', async () => {
    const noHeader = await tessera(['users', 'import', file('bad.csv', 'name,hash\nbea,x\n')], env);
    expect(noHeader.code).toBe(1);
    expect(noHeader.stderr).toMatch(/the CSV header must name the columns username, role, email, password_hash \(missing: username, password_hash\)/);
    const missing = await tessera(['users', 'import', join(t.dir, 'nope.csv')], env);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot read .*nope\.csv \(ENOENT\)/) });
  });

  it('reads standard input with --format', async () => {
    const input = jsonLines({ username: 'bea', password_hash: HASHES.bcrypt2b });
    const result = await tessera(['users', 'import', '-', '--format', 'jsonl'], env, input);
    expect(result.code).toBe(0);
    expect(await t.tessera.store.users.findByUsername('bea')).not.toBeNull();
  });

  describe('through the admin API', () => {
    it('imports a batch, reports rejected entries by index, and refuses non-admins', async () => {
      const admin = await adminClient(t);
      const response = await admin.call({
        method: 'POST',
        url: '/admin/users/import',
        payload: {
          users: [
            { username: 'bea', email: 'bea@example.com', password_hash: HASHES.bcrypt2b },
            { username: 'bad', password_hash: 'plain' },
            { username: 'pia', password_hash: HASHES.passlibPbkdf2 },
          ],
        },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        dry_run: false,
        created: 2,
        rejected: [{ index: 2, username: 'bad', reason: expect.stringMatching(/not bcrypt/) }],
      });
      expect((await login(t.app, 'pia', IMPORTED_PASSWORD)).statusCode).toBe(200);
      const [event] = await t.tessera.audit.query({ type: 'admin.user.import', limit: 1 });
      expect(event).toMatchObject({ actor: admin.admin.id, detail: { source: 'api', created: 2, rejected: 1 } });

      const user = await loginTokens(t.app, 'pia', IMPORTED_PASSWORD);
      const refused = await t.app.inject({
        method: 'POST',
        url: '/admin/users/import',
        headers: { authorization: `Bearer ${user.access_token}` },
        payload: { users: [] },
      });
      expect(refused.statusCode).toBe(403);
    });

    it("keeps the role of an existing user whose line names none, and never changes the importing admin's own", async () => {
      const admin = await adminClient(t);
      const first = await admin.call({ method: 'POST', url: '/admin/users/import', payload: { users: [{ username: 'ops', role: 'support', password_hash: HASHES.bcrypt2b }] } });
      expect(first.json()).toMatchObject({ created: 1, rejected: [] });
      // An export without a role column, sent again: nobody is demoted to `user`.
      const again = await admin.call({
        method: 'POST',
        url: '/admin/users/import',
        payload: {
          users: [
            { username: 'ops', password_hash: HASHES.bcrypt2b },
            { username: 'root', role: 'user', password_hash: HASHES.bcrypt2b },
            { username: 'newcomer', password_hash: HASHES.bcrypt2b },
          ],
        },
      });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ created: 1, rejected: [{ index: 2, username: 'root', reason: 'You cannot change your own role' }] });
      expect((await t.tessera.store.users.findByUsername('ops'))!.role).toBe('support');
      expect((await t.tessera.store.users.findByUsername('root'))!.role).toBe('admin');
      expect((await t.tessera.store.users.findByUsername('newcomer'))!.role).toBe('user');
      // Without a role, the admin's own line changes nothing of their role either.
      const own = await admin.call({ method: 'POST', url: '/admin/users/import', payload: { users: [{ username: 'root', password_hash: HASHES.bcrypt2b }] } });
      expect(own.json()).toMatchObject({ rejected: [] });
      expect((await t.tessera.store.users.findByUsername('root'))!.role).toBe('admin');
    });

    it('keeps the email address of an existing user whose line names none, and removes it only for an explicit null', async () => {
      const admin = await adminClient(t);
      const imported = (users: object[]) => admin.call({ method: 'POST', url: '/admin/users/import', payload: { users } });
      await imported([
        { username: 'mia', email: 'mia@example.com', password_hash: HASHES.bcrypt2b },
        { username: 'noa', email: 'noa@example.com', password_hash: HASHES.bcrypt2b },
      ]);
      const verifiedAt = (await t.tessera.store.users.findByUsername('mia'))!.emailVerifiedAt;
      expect(verifiedAt).not.toBeNull();
      // An export without an email column (or with an empty cell), sent again: nobody loses an address.
      const again = await imported([
        { username: 'mia', password_hash: HASHES.bcrypt2b },
        { username: 'noa', email: '', password_hash: HASHES.bcrypt2b },
      ]);
      expect(again.json()).toMatchObject({ unchanged: 2, rejected: [] });
      expect(await t.tessera.store.users.findByUsername('mia')).toMatchObject({ email: 'mia@example.com', emailVerifiedAt: verifiedAt });
      expect(await t.tessera.store.users.findByUsername('noa')).toMatchObject({ email: 'noa@example.com' });
      // An address the user set and never confirmed stays unconfirmed when a line naming none changes the role.
      const noa = (await t.tessera.store.users.findByUsername('noa'))!;
      await t.tessera.store.users.update(noa.id, { email: 'noa@elsewhere.example' }, t.clock.now());
      const promoted = await imported([{ username: 'noa', role: 'support', password_hash: HASHES.bcrypt2b }]);
      expect(promoted.json()).toMatchObject({ updated: 1 });
      expect(await t.tessera.store.users.findByUsername('noa')).toMatchObject({ role: 'support', email: 'noa@elsewhere.example', emailVerifiedAt: null });
      const removed = await imported([{ username: 'mia', email: null, password_hash: HASHES.bcrypt2b }]);
      expect(removed.json()).toMatchObject({ updated: 1 });
      expect(await t.tessera.store.users.findByUsername('mia')).toMatchObject({ email: null, emailVerifiedAt: null });
    });

    it('signs a user out everywhere when the file replaces their imported password hash, as a password change does', async () => {
      const admin = await adminClient(t);
      const imported = (users: object[]) => admin.call({ method: 'POST', url: '/admin/users/import', payload: { users } });
      await imported([{ username: 'tia', password_hash: HASHES.bcrypt2b }, { username: 'uri', password_hash: HASHES.bcrypt2b }]);
      // The team's app hands its signed-in users over (no password typed: their hashes stay imported).
      const service = (await admin.call({ method: 'POST', url: '/admin/services', payload: { name: 'team-app' } })).json<{ client_id: string; client_secret: string }>();
      expect((await admin.call({ method: 'PUT', url: '/admin/services/team-app/token-exchange', payload: { enabled: true } })).statusCode).toBe(200);
      const handOver = async (username: string) => {
        const response = await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: username, subject_token_type: 'urn:tessera:params:oauth:token-type:username' }).toString(),
        });
        expect(response.statusCode).toBe(200);
        return response.json<{ access_token: string; refresh_token: string }>();
      };
      const tia = await handOver('tia');
      const uri = await handOver('uri');
      // tia changed her password in the old app: the new export carries another hash. uri's is the same.
      const again = await imported([{ username: 'tia', password_hash: HASHES.bcrypt2yPhp }, { username: 'uri', password_hash: HASHES.bcrypt2b }]);
      expect(again.json()).toMatchObject({ updated: 1, unchanged: 1, signed_out: 1 });
      expect(await apiStatus(t, tia.access_token)).toBe(401);
      expect((await refresh(t.app, tia.refresh_token)).statusCode).toBe(401);
      expect(await apiStatus(t, uri.access_token)).toBe(200);
      expect((await refresh(t.app, uri.refresh_token)).statusCode).toBe(200);
      // The new password works (a login after the sign-out); the old one no longer does.
      t.clock.advanceSeconds(1);
      expect((await login(t.app, 'tia', 'rasmuslerdorf')).statusCode).toBe(200);
      expect((await login(t.app, 'tia', IMPORTED_PASSWORD)).statusCode).toBe(401);
    });

    it('takes a dry run and a batch of thousands in one request', async () => {
      const admin = await adminClient(t);
      const users = Array.from({ length: 5000 }, (_, i) => ({ username: `user${i}`, email: `user${i}@example.com`, password_hash: HASHES.bcrypt2b }));
      const dry = await admin.call({ method: 'POST', url: '/admin/users/import', payload: { users, dry_run: true } });
      expect(dry.json()).toMatchObject({ dry_run: true, created: 5000, rejected: [] });
      expect(await t.tessera.store.users.count()).toBe(1);
      const real = await admin.call({ method: 'POST', url: '/admin/users/import', payload: { users } });
      expect(real.json()).toMatchObject({ created: 5000 });
      expect(await t.tessera.store.users.count()).toBe(5001);
    });

    it('refuses a body that is not a list of users with a clear 400', async () => {
      const admin = await adminClient(t);
      const response = await admin.call({ method: 'POST', url: '/admin/users/import', payload: { users: 'everyone' } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request', error_description: 'body.users must be array' });
    });
  });
});
