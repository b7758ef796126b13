import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServeProcess } from '../support/process.js';
import { testEnv } from '../support/tessera.js';

const secret = () => randomBytes(48).toString('base64');

/**
 * The JWT_SECRET rotation of docs/admin/token-management.md in production, where nothing is replaced
 * silently: real server processes, one after the other, on one database.
 */
describe('rotating JWT_SECRET in production', () => {
  const { env, dir } = testEnv({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', LOG_LEVEL: 'info' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function serve(secrets: Record<string, string>) {
    const server = await startServeProcess({ ...env, ...secrets });
    return {
      url: server.url,
      output: server.output,
      async stop() {
        server.child.kill('SIGTERM');
        await once(server.child, 'exit');
      },
    };
  }

  it('keeps every key and every token across the restarts the guide describes', async () => {
    const oldSecret = secret();
    const newSecret = secret();
    const first = await serve({ JWT_SECRET: oldSecret });
    expect((await runCli(['users', 'add', 'ops', '--password', 'ops long passphrase'], { ...env, JWT_SECRET: oldSecret })).code).toBe(0);
    const login = await fetch(`${first.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ops', password: 'ops long passphrase' }),
    });
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    const jwks = await (await fetch(`${first.url}/.well-known/jwks.json`)).text();
    await first.stop();

    // The new secret alone opens nothing yet: production refuses to start and says what to do.
    const refused = await runCli(['serve'], { ...env, JWT_SECRET: newSecret });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/JWT_SECRET does not open the stored access signing key .+ set JWT_SECRET_PREVIOUS to the old value/);

    const both = await serve({ JWT_SECRET: newSecret, JWT_SECRET_PREVIOUS: oldSecret });
    expect(both.output()).toMatch(/signing key re-sealed with the new JWT_SECRET/);
    const api = (url: string) => fetch(`${url}/api/users`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await api(both.url)).status).toBe(200);
    await both.stop();

    const only = await serve({ JWT_SECRET: newSecret });
    expect((await api(only.url)).status).toBe(200);
    expect(await (await fetch(`${only.url}/.well-known/jwks.json`)).text()).toBe(jwks);
    const refreshed = await fetch(`${only.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    await only.stop();
    expect(only.output()).not.toContain(newSecret);
    expect(both.output()).not.toContain(oldSecret);
  });
});
