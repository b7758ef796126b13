import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tessera } from '../support/cli.js';
import { testEnv } from '../support/tessera.js';

describe('tessera users', () => {
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    ({ env, dir } = testEnv());
    await tessera(['migrate'], env); // commands other than serve and migrate never change the schema
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds a user with --role and --password and prints it', async () => {
    const result = await tessera(['users', 'add', 'Alice', '--role', 'admin', '--password', 'a long password'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^id\s+[0-9a-f-]{36}\nusername\s+alice\nrole\s+admin\n/);
  });

  it('reads the password from standard input when --password is absent', async () => {
    const result = await tessera(['users', 'add', 'bob', '--json'], env, 'piped password\n');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ username: 'bob', role: 'user' });
  });

  it('lists users as a table, or as JSON', async () => {
    const table = await tessera(['users', 'list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+USERNAME\s+ROLE\s+EMAIL\s+EMAIL_VERIFIED\s+CREATED_AT\s+DISABLED_AT$/);
    expect(table.stdout).toMatch(/alice\s+admin/);
    const json = JSON.parse((await tessera(['users', 'list', '--json'], env)).stdout) as Array<{ username: string }>;
    expect(json.map((u) => u.username)).toEqual(['alice', 'bob']);
  });

  it('adds a user with --email, and sets or clears it with set-email', async () => {
    const added = await tessera(['users', 'add', 'emma', '--email', 'emma@example.com', '--password', 'a long password', '--json'], env);
    expect(JSON.parse(added.stdout)).toMatchObject({ username: 'emma', email: 'emma@example.com' });
    const set = await tessera(['users', 'set-email', 'emma', 'emma@example.org'], env);
    expect(set).toMatchObject({ code: 0, stdout: 'emma now has email emma@example.org\n' });
    const cleared = await tessera(['users', 'set-email', 'emma', '--clear', '--json'], env);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ username: 'emma', email: null });
  });

  it('refuses a bad address, and set-email with both or neither of an address and --clear', async () => {
    const bad = await tessera(['users', 'add', 'fay', '--email', 'not-an-address', '--password', 'a long password'], env);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: email must be an email address/) });
    expect(await tessera(['users', 'set-email', 'alice'], env)).toMatchObject({ code: 1, stderr: 'tessera: give either an address or --clear\n' });
    expect(await tessera(['users', 'set-email', 'alice', 'a@example.com', '--clear'], env)).toMatchObject({ code: 1 });
    expect((await tessera(['users', 'set-email', 'alice', 'nope'], env)).code).toBe(1);
  });

  it('fails with one line and exit 1 on a duplicate, a short password or an empty one', async () => {
    const duplicate = await tessera(['users', 'add', 'alice', '--password', 'another password'], env);
    expect(duplicate).toMatchObject({ code: 1, stderr: 'tessera: A user named "alice" already exists\n' });
    const short = await tessera(['users', 'add', 'carol', '--password', 'short'], env);
    expect(short).toMatchObject({ code: 1, stderr: 'tessera: password must be 8–1024 characters\n' });
    const empty = await tessera(['users', 'add', 'dave'], env, '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^tessera: a password is required/);
  });

  it('rejects bad options and unknown commands with a non-zero exit', async () => {
    expect(await tessera(['users', 'list', '--limit', 'many'], env)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: --limit must be a whole number/) });
    const unknown = await tessera(['frobnicate'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('prints help with exit 0', async () => {
    const help = await tessera(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: tessera/);
    expect(help.stdout).toMatch(/users/);
  });

  it('reports a configuration error naming the variable', async () => {
    const result = await tessera(['users', 'list'], { ...env, DATABASE_URL: 'mysql://nope' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tessera: configuration error: DATABASE_URL: /);
  });

  it('migrates a database, harmlessly a second time', async () => {
    expect(await tessera(['migrate'], env)).toMatchObject({ code: 0, stdout: 'migrations applied (sqlite)\n' });
    expect((await tessera(['migrate'], env)).code).toBe(0);
  });
});
