import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { runCli, startServeProcess } from '../support/process.js';
import { POSTGRES_URL, postgresAvailable } from '../support/services.js';
import { TEST_SECRET, testEnv } from '../support/tessera.js';

const pgAvailable = await postgresAvailable();

/**
 * The promise, end to end with real processes: a server, a user logged in on it, and
 * `tessera tokens revoke --user` run as a separate process against the same database. The server
 * learns of it by polling the store (every 500 ms), so the old access token must fail within a second.
 */
describe('signing a user out everywhere from the command line', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function environment(database: 'sqlite' | 'postgres'): Promise<Record<string, string>> {
    const { env, dir } = testEnv({ NODE_ENV: 'development', JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'info' });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    if (database === 'sqlite') return env;
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(schema));
    return { ...env, DATABASE_URL: `${POSTGRES_URL}?schema=${schema}` };
  }

  it.for([
    ['SQLite', 'sqlite'],
    ['PostgreSQL', 'postgres'],
  ] as const)('on %s: the old access token gets 401 on the same running server within one second', async ([, database], { annotate, skip }) => {
    if (database === 'postgres' && !pgAvailable) skip('PostgreSQL is unreachable');
    const env = await environment(database);
    const server = await startServeProcess(env);
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      if (server.child.exitCode === null) await once(server.child, 'exit');
    });
    const api = (token: string) => fetch(`${server.url}/api/users`, { headers: { authorization: `Bearer ${token}` } });

    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'test', password: 'test123' }),
    });
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    expect((await api(tokens.access_token)).status).toBe(200);

    const started = performance.now();
    const cli = await runCli(['tokens', 'revoke', '--user', 'test'], env);
    const revoked = performance.now();
    expect(cli).toMatchObject({ code: 0, stdout: 'signed test out everywhere: 1 family, 1 access token and 0 sessions ended\n' });

    let status = 200;
    while (status === 200 && performance.now() - revoked < 3000) {
      status = (await api(tokens.access_token)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const elapsed = Math.round(performance.now() - revoked);
    await annotate(`401 ${elapsed} ms after the command finished (${Math.round(revoked - started)} ms to run it)`);
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(1000);

    const refresh = await fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    expect(refresh.status).toBe(401);
  });
});
