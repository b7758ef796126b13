import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createTessera, type Tessera, type TesseraDependencies } from '../../src/tessera.js';
import { TestClock } from './clock.js';

export const TEST_SECRET = 'test-only-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a';

/** Environment for a test instance: its own SQLite file, a known secret, silent logs. */
export function testEnv(overrides: Record<string, string> = {}): { env: Record<string, string>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  return {
    dir,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      ...overrides,
    },
  };
}

export interface TestInstance {
  app: FastifyInstance;
  tessera: Tessera;
  config: Config;
  clock: TestClock;
  dir: string;
  close(): Promise<void>;
}

/** A fully assembled Tessera with its HTTP app, ready for `app.inject`, on a throwaway database. */
export async function startTestInstance(
  overrides: Record<string, string> = {},
  deps: TesseraDependencies & { clock?: TestClock } = {},
): Promise<TestInstance> {
  const { env, dir } = testEnv(overrides);
  const config = loadConfig(env);
  const clock = deps.clock ?? new TestClock();
  // Slowed logins are observed through `loginDelay`, never waited for: tests do not time things.
  const tessera = await createTessera(config, { logger: createLogger('silent'), loginDelay: async () => {}, ...deps, clock });
  await tessera.start();
  const app = await buildApp(tessera);
  await app.ready();
  return {
    app,
    tessera,
    config,
    clock,
    dir,
    async close() {
      await app.close();
      await tessera.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const TEST_PASSWORD = 'correct horse battery';

/** Creates a user through the same path an admin would. */
export async function createUser(t: Tessera, username: string, role = 'user', password = TEST_PASSWORD) {
  return t.users.create({ username, password, role });
}

/**
 * A user holding the role of services' own tokens (`service`), as an account made before Tessera
 * refused users that role may: written to the store directly, since every way in now refuses it.
 */
export async function legacyServiceRoleUser(t: Tessera, username: string) {
  const user = await createUser(t, username);
  return (await t.store.users.update(user.id, { role: 'service' }, Date.now()))!;
}

export interface TokenPairBody {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export async function login(app: FastifyInstance, username: string, password = TEST_PASSWORD): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } });
}

export async function loginTokens(app: FastifyInstance, username: string, password = TEST_PASSWORD): Promise<TokenPairBody> {
  const response = await login(app, username, password);
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json<TokenPairBody>();
}

export function refresh(app: FastifyInstance, refreshToken: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } });
}

export function getUsers(app: FastifyInstance, accessToken: string | undefined): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'GET',
    url: '/api/users',
    headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  });
}

export interface TestServer {
  url: string;
  /** With CONSOLE_LISTEN=HOST:PORT, the console listener's port. */
  consolePort?: number | undefined;
  tessera: Tessera;
  clock?: TestClock;
  stop(): Promise<void>;
}

/** A real listening server on a free port, for what `inject` cannot show (concurrency, sockets, drains). */
export async function startTestServer(overrides: Record<string, string> = {}, deps: TesseraDependencies = {}): Promise<TestServer> {
  const { startServer } = await import('../../src/server.js');
  const { env, dir } = testEnv(overrides);
  const server = await startServer(loadConfig(env), { logger: createLogger('silent'), loginDelay: async () => {}, ...deps });
  return {
    url: `http://127.0.0.1:${server.port}`,
    consolePort: server.consoleListener?.port,
    tessera: server.tessera,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
