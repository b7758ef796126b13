import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PasswordHasher } from '../../src/passwords/password-hasher.js';
import { TEST_PASSWORD } from './tessera.js';

/** argon2id with tiny parameters: for tests that log in hundreds of users. Never for real passwords. */
export const cheapHasher = () => new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/** `POST /api/login`, as the seed's "Before" client does it. */
export function sessionLogin(
  app: FastifyInstance,
  username: string,
  password = TEST_PASSWORD,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/login', headers, payload: { username, password } });
}

/** Logs in with a session and returns the `session_id` cookie value. */
export async function sessionCookieFor(
  app: FastifyInstance,
  username: string,
  password = TEST_PASSWORD,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await sessionLogin(app, username, password, headers);
  const cookie = response.cookies.find((c) => c.name === 'session_id');
  if (response.statusCode !== 200 || !cookie) throw new Error(`session login failed: ${response.statusCode} ${response.body}`);
  return cookie.value;
}

/** A GET with the session cookie (and any other headers). */
export function withSession(
  app: FastifyInstance,
  url: string,
  sessionId: string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, cookies: { session_id: sessionId }, headers });
}

export function exchange(app: FastifyInstance, sessionId: string | undefined, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/auth/session/exchange',
    headers,
    ...(sessionId === undefined ? {} : { cookies: { session_id: sessionId } }),
  });
}

/** The deprecation headers a session response carries, or undefined where absent. */
export const deprecationOf = (response: LightMyRequestResponse) => ({
  deprecation: response.headers.deprecation,
  sunset: response.headers.sunset,
  link: response.headers.link,
});
