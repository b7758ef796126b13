import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { halfSentLogin } from '../support/half-sent-login.js';
import { runCli, startServeProcess } from '../support/process.js';
import { testEnv } from '../support/tessera.js';

describe('tessera serve', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const env = (overrides: Record<string, string> = {}) => {
    const { env: e, dir } = testEnv({ LOG_LEVEL: 'info', ...overrides });
    dirs.push(dir);
    return e;
  };

  it('refuses to start on a bad setting, naming the variable, with exit code 1', async () => {
    const result = await runCli(['serve'], env({ TOKEN_EXPIRY: '15 minutes' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('tessera: configuration error: TOKEN_EXPIRY: must be a whole number of seconds (got "15 minutes")\n');
  });

  it('refuses to start in production without a strong JWT_SECRET', async () => {
    const result = await runCli(['serve'], env({ NODE_ENV: 'production', JWT_SECRET: 'your-secret-key-here' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tessera: configuration error: JWT_SECRET: /);
  });

  it('lets a request already in flight finish on SIGTERM, refuses new ones, then exits 0', async () => {
    const server = await startServeProcess(env({ NODE_ENV: 'development' }));
    // Headers and half the body are sent: the request is in flight when the signal arrives.
    const inFlight = await halfSentLogin(server.url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    // The server closes the connection after answering: it is shutting down.
    const reply = await inFlight.finish();
    expect(reply).toMatch(/^HTTP\/1.1 200 OK/);
    expect(reply).toContain('"access_token"');
    const [code] = await once(server.child, 'exit');
    expect(code).toBe(0);
    expect(server.output()).toMatch(/draining in-flight requests/);
  });

  it('logs one line per request and never a token, password or secret', async () => {
    const server = await startServeProcess(env({ NODE_ENV: 'development' }));
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'log-test' },
      body: JSON.stringify({ username: 'test', password: 'test123' }),
    });
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    await fetch(`${server.url}/api/users?x=${tokens.access_token}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    await fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    const log = server.output();
    expect(log).toMatch(/"path":"\/auth\/login"/);
    for (const secret of ['test123', tokens.access_token, tokens.refresh_token, tokens.access_token.split('.')[2]!]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/argon2id\$/);
  });
});
