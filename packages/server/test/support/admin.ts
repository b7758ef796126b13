import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { UserRecord } from '../../src/users/user.js';
import { TEST_SECRET, createUser, loginTokens, type TestInstance } from './tessera.js';

export interface AdminClient {
  admin: UserRecord;
  token: string;
  /** `app.inject` with the admin's access token. */
  call(options: InjectOptions): Promise<LightMyRequestResponse>;
}

/** Creates an admin account, logs it in, and returns a client that sends its access token. */
export async function adminClient(t: TestInstance, username = 'root'): Promise<AdminClient> {
  const admin = await createUser(t.tessera, username, 'admin');
  const { access_token: token } = await loginTokens(t.app, username);
  return {
    admin,
    token,
    call: (options) => t.app.inject({ ...options, headers: { ...options.headers, authorization: `Bearer ${token}` } }),
  };
}

/** The status of GET /api/users with this access token: 200 while it is valid, 401 once refused. */
export async function apiStatus(t: TestInstance, accessToken: string): Promise<number> {
  return (await t.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${accessToken}` } })).statusCode;
}

/** Environment for `tessera` commands working on the same database (and secret) as a test instance. */
export function cliEnvFor(t: TestInstance): Record<string, string> {
  const { database } = t.config;
  if (database.kind !== 'sqlite') throw new Error('test instances use SQLite');
  // The same PUBLIC_URL, hence the same issuer, as the instance: a server built from this env accepts its tokens.
  return { NODE_ENV: 'test', PUBLIC_URL: t.config.publicUrl, DATABASE_URL: `sqlite:${database.path}`, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
}
