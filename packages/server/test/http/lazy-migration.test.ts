import { hash, verify } from '@node-rs/bcrypt';
import express from 'express';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { login, startTestInstance, type TestInstance } from '../support/tessera.js';

const SECRET = 'shared-secret-of-the-old-app-and-tessera';

/** The example docs/bring-your-users.md shows, run as written (plain JavaScript, as a team would paste it). */
const EXAMPLE = new URL('../../../../docs/examples/tessera-password-check.mjs', import.meta.url).href;
type PasswordCheckExample = (options: {
  secret: string;
  findUser(username: string): Promise<OldUser | undefined>;
  checkPassword(user: OldUser, password: string): Promise<boolean>;
}) => express.Router;

interface OldUser {
  role: string;
  email: string;
  passwordHash: string;
}

/** The team's old app: its users with bcrypt hashes, and the example endpoint mounted on it. */
async function startOldApp(): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const users = new Map<string, OldUser>([
    ['alice', { role: 'user', email: 'alice@example.com', passwordHash: await hash('alice old password', 4) }],
    ['boss', { role: 'admin', email: 'boss@example.com', passwordHash: await hash('boss old password', 4) }],
    ['eve', { role: 'user', email: 'victim,attacker@evil.example', passwordHash: await hash('eve old password', 4) }],
  ]);
  const asked: string[] = [];
  const { tesseraPasswordCheck } = (await import(EXAMPLE)) as { tesseraPasswordCheck: PasswordCheckExample };
  const app = express();
  app.use((req, _res, next) => {
    asked.push(req.path);
    next();
  });
  app.use(
    tesseraPasswordCheck({
      secret: SECRET,
      findUser: async (username: string) => users.get(username),
      checkPassword: (user: OldUser, password: string) => verify(password, user.passwordHash),
    }),
  );
  return listen(createServer(app), '/tessera/check-password', asked);
}

/** A stand-in that answers every check the same broken way. */
function startBrokenApp(answer: (res: ServerResponse) => void) {
  return listen(createServer((_req, res) => answer(res)), '/check', []);
}

async function listen(server: Server, path: string, asked: string[]) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    asked,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const legacyEnv = (url: string, more: Record<string, string> = {}) => ({
  LEGACY_AUTH_URL: url,
  LEGACY_AUTH_SECRET: SECRET,
  AUTH_RATE_LIMIT: '0',
  ...more,
});

describe('lazy migration from the team\'s old app (LEGACY_AUTH_URL)', () => {
  let oldApp: Awaited<ReturnType<typeof startOldApp>>;
  let t: TestInstance | undefined;
  beforeAll(async () => {
    oldApp = await startOldApp();
  });
  afterAll(() => oldApp.close());
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('creates a user the old app vouches for, with the password hashed by Tessera, and never asks about them again', async () => {
    t = await startTestInstance(legacyEnv(oldApp.url));
    const first = await login(t.app, 'Alice', 'alice old password');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ token_type: 'Bearer' });
    const user = (await t.tessera.store.users.findByUsername('alice'))!;
    expect(user).toMatchObject({ role: 'user', email: 'alice@example.com' });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(oldApp.asked).toHaveLength(1);

    expect((await login(t.app, 'alice', 'alice old password')).statusCode).toBe(200);
    expect((await login(t.app, 'alice', 'wrong password')).statusCode).toBe(401);
    expect(oldApp.asked).toHaveLength(1);
    const [event] = await t.tessera.audit.query({ type: 'legacy_auth.migrated', limit: 5 });
    expect(event).toMatchObject({ userId: user.id, detail: { username: 'alice', role: 'user' } });
  });

  it('refuses a wrong password or a user the old app does not know, creating nobody', async () => {
    t = await startTestInstance(legacyEnv(oldApp.url));
    const wrong = await login(t.app, 'alice', 'not her password');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_credentials' });
    expect((await login(t.app, 'nobody', 'whatever password')).statusCode).toBe(401);
    expect(await t.tessera.store.users.count()).toBe(0);
    const refused = await t.tessera.audit.query({ type: 'legacy_auth.refused', limit: 5 });
    expect(refused.map((e) => e.detail?.username).sort()).toEqual(['alice', 'nobody']);
  });

  it('creates the user without an email the old app gives that is not one address (a list joined by a comma), auditing that it was left out', async () => {
    t = await startTestInstance(legacyEnv(oldApp.url));
    expect((await login(t.app, 'eve', 'eve old password')).statusCode).toBe(200);
    const eve = (await t.tessera.store.users.findByUsername('eve'))!;
    expect(eve.email).toBeNull();
    await t.tessera.audit.flush();
    const [event] = await t.tessera.audit.query({ type: 'legacy_auth.migrated', limit: 1 });
    expect(event).toMatchObject({ userId: eve.id, detail: { username: 'eve', emailRefused: 'not an email address' } });
    expect(JSON.stringify(event)).not.toContain('evil.example');
  });

  it('never makes an admin of the old app\'s admin unless LEGACY_AUTH_ALLOW_ADMIN=on', async () => {
    t = await startTestInstance(legacyEnv(oldApp.url));
    expect((await login(t.app, 'boss', 'boss old password')).statusCode).toBe(200);
    expect((await t.tessera.store.users.findByUsername('boss'))!.role).toBe('user');
    const [event] = await t.tessera.audit.query({ type: 'legacy_auth.migrated', limit: 1 });
    expect(event!.detail).toMatchObject({ role: 'user', roleRefused: 'admin' });
    await t.close();

    t = await startTestInstance(legacyEnv(oldApp.url, { LEGACY_AUTH_ALLOW_ADMIN: 'on' }));
    expect((await login(t.app, 'boss', 'boss old password')).statusCode).toBe(200);
    expect((await t.tessera.store.users.findByUsername('boss'))!.role).toBe('admin');
  });

  const BROKEN: Array<[string, (res: ServerResponse) => void]> = [
    ['no answer within 200 ms', () => undefined],
    ['the old app answered HTTP 500', (res) => res.writeHead(500).end('oops')],
    ['the old app answered HTTP 403', (res) => res.writeHead(403).end()],
    ['the old app answered HTTP 302', (res) => res.writeHead(302, { location: 'http://example.com/' }).end()],
    ['the old app answered something that is not JSON', (res) => res.writeHead(200).end('<html>yes</html>')],
    ['the old app answered JSON without a boolean "valid"', (res) => res.writeHead(200).end('{"valid":"yes"}')],
    ["the old app's answer was longer than 16384 bytes", (res) => res.writeHead(200).end(`{"valid":true,"x":"${'x'.repeat(20_000)}"}`)],
  ];

  it.each(BROKEN)('answers 503 when %s, and audits why', async (reason, answer) => {
    const app = await startBrokenApp(answer);
    try {
      t = await startTestInstance(legacyEnv(app.url, { LEGACY_AUTH_TIMEOUT_MS: '200' }));
      const response = await login(t.app, 'alice', 'alice old password');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'Your password could not be checked right now; try again in a few seconds',
      });
      const [event] = await t.tessera.audit.query({ type: 'legacy_auth.failed', limit: 1 });
      expect(event!.detail).toMatchObject({ username: 'alice', reason });
      expect(await t.tessera.store.users.count()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('answers 503 when the old app is not listening at all', async () => {
    const gone = await startBrokenApp(() => undefined);
    await gone.close();
    t = await startTestInstance(legacyEnv(gone.url));
    expect((await login(t.app, 'alice', 'alice old password')).statusCode).toBe(503);
    const [event] = await t.tessera.audit.query({ type: 'legacy_auth.failed', limit: 1 });
    expect(event!.detail).toMatchObject({ reason: 'the old app could not be reached (ECONNREFUSED)' });
  });

  it('never asks the old app about a name Tessera could not accept', async () => {
    t = await startTestInstance(legacyEnv(oldApp.url));
    const before = oldApp.asked.length;
    expect((await login(t.app, '-not a name-', 'alice old password')).statusCode).toBe(401);
    expect(oldApp.asked).toHaveLength(before);
  });

  it('is configured safely: a secret is required, https and a strong secret in production', () => {
    const base = { NODE_ENV: 'development', LEGACY_AUTH_URL: 'http://old.internal/check' };
    expect(() => loadConfig(base)).toThrow(ConfigError);
    expect(() => loadConfig(base)).toThrow(/^LEGACY_AUTH_SECRET: is required with LEGACY_AUTH_URL/);
    expect(loadConfig({ ...base, LEGACY_AUTH_SECRET: 'dev' }).legacyAuth).toEqual({
      url: 'http://old.internal/check', secret: 'dev', timeoutMs: 2000, allowAdmin: false,
    });
    const production = { NODE_ENV: 'production', JWT_SECRET: 'Vq3kZ8rT1xLmW9pB4nYc7sHd2fGj6aKe0uQo5iXz', LEGACY_AUTH_SECRET: 'Ht5nW2qLx8vRk3mZp9cYb6dFg1sJa4eU7oTi0rNw' };
    expect(() => loadConfig({ ...production, LEGACY_AUTH_URL: 'http://old.internal/check' })).toThrow(/^LEGACY_AUTH_URL: must be https:\/\/ in production/);
    expect(loadConfig({ ...production, LEGACY_AUTH_URL: 'https://old.internal/check' }).legacyAuth?.url).toBe('https://old.internal/check');
    expect(() => loadConfig({ ...production, LEGACY_AUTH_URL: 'https://old.internal/check', LEGACY_AUTH_SECRET: 'short' })).toThrow(/^LEGACY_AUTH_SECRET: must be at least 32 characters/);
    expect(() => loadConfig({ ...base, LEGACY_AUTH_SECRET: 'dev', LEGACY_AUTH_TIMEOUT_MS: '60000' })).toThrow(/^LEGACY_AUTH_TIMEOUT_MS: must be at most 10000/);
  });
});
