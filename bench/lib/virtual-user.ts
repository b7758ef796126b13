import type { HttpClient, Reply } from './http.js';
import type { Recorder } from './recorder.js';
import { BENCH_PASSWORD, benchUsername } from './seed-users.js';

export type AuthMode = 'jwt' | 'session';

export interface VirtualUserPlan {
  index: number;
  mode: AuthMode;
  /** When the user stops calling the API (performance.now() clock; Infinity until every user is in). */
  endAt: () => number;
  /** When measurement of the steady state begins (every user has logged in). */
  steadyFrom: () => number;
  /** Called once the login has been answered, whatever the answer. */
  loginAnswered: () => void;
  thinkMs: number;
  /** Refresh when the access token has less than this left. */
  refreshMarginMs: number;
  logoutSpreadMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The API route every virtual user calls, and the name its calls get while all users are held. */
export const API = 'GET /api/users';
export const STEADY_API = `${API} (steady state)`;

/** A distinct client address per virtual user, sent as X-Forwarded-For (the server trusts the proxy). */
export const clientAddress = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/**
 * One simulated user, as in the seed's load test: logs in once, then calls GET /api/users after a
 * think time, refreshes when the access token is about to expire (JWT mode), and logs out at the end.
 */
export async function runVirtualUser(
  http: { api: HttpClient; login: HttpClient },
  recorder: Recorder,
  plan: VirtualUserPlan,
): Promise<void> {
  const identity = { 'x-forwarded-for': clientAddress(plan.index), 'user-agent': `tessera-bench/${plan.mode}` };
  const call = async (endpoint: string, method: 'GET' | 'POST', path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) => {
    try {
      const client = endpoint === 'login' ? http.login : http.api;
      let reply = await client.send(method, path, { ...options, headers: { ...identity, ...options.headers } });
      // A shed request (503) or a rate-limited one (429) says when to come back: a real client waits that long.
      for (let wait = retryAfterMs(reply); wait !== undefined && performance.now() + wait < plan.endAt(); wait = retryAfterMs(reply)) {
        recorder.retried(endpoint);
        await sleep(wait);
        reply = await client.send(method, path, { ...options, headers: { ...identity, ...options.headers } });
      }
      if (reply.status >= 200 && reply.status < 300) {
        const steady = performance.now() >= plan.steadyFrom();
        recorder.ok(endpoint, reply.ms);
        if (steady && endpoint === API) recorder.alsoAs(STEADY_API, reply.ms);
        return reply;
      }
      recorder.error(endpoint, `HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 120)}`);
    } catch (error) {
      recorder.error(endpoint, error instanceof Error ? error.message : String(error));
    }
    return undefined;
  };

  const credentials = { username: benchUsername(plan.index), password: BENCH_PASSWORD };
  let session: { headers: Record<string, string>; refreshToken?: string; expiresAt: number } | undefined;
  if (plan.mode === 'jwt') {
    const reply = await call('login', 'POST', '/auth/login', { body: credentials });
    plan.loginAnswered();
    if (!reply) return;
    session = tokenSession(reply);
  } else {
    const reply = await call('login', 'POST', '/api/login', { body: credentials });
    plan.loginAnswered();
    if (!reply) return;
    const cookie = sessionCookie(reply);
    if (!cookie) return recorder.error('login', 'no session_id cookie');
    session = { headers: { cookie }, expiresAt: Infinity };
  }

  while (performance.now() < plan.endAt()) {
    await sleep(Math.min(plan.thinkMs * (0.5 + Math.random()), plan.endAt() - performance.now()));
    if (performance.now() >= plan.endAt()) break;
    if (plan.mode === 'jwt' && session.expiresAt - Date.now() < plan.refreshMarginMs) {
      const reply = await call('refresh', 'POST', '/auth/refresh', { body: { refresh_token: session.refreshToken } });
      if (!reply) return;
      session = tokenSession(reply);
    }
    await call(API, 'GET', '/api/users', { headers: session.headers });
  }

  await sleep(Math.random() * plan.logoutSpreadMs);
  if (plan.mode === 'jwt') {
    await call('logout', 'POST', '/auth/logout', { headers: session.headers, body: { refresh_token: session.refreshToken } });
  } else {
    await call('logout', 'POST', '/api/logout', { headers: session.headers });
  }
}

/** Retry-After (whole seconds) of a 503 or 429, with up to half as much again of jitter so retries spread out. */
function retryAfterMs(reply: Reply): number | undefined {
  if (reply.status !== 503 && reply.status !== 429) return undefined;
  const header = reply.headers['retry-after'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return seconds * 1000 * (1 + Math.random() / 2);
}

function tokenSession(reply: Reply) {
  const body = reply.body as { access_token: string; refresh_token: string };
  // The token's own exp (whole seconds), not now + expires_in, which can be up to a second late.
  const { exp } = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as { exp: number };
  return {
    headers: { authorization: `Bearer ${body.access_token}` },
    refreshToken: body.refresh_token,
    expiresAt: exp * 1000,
  };
}

function sessionCookie(reply: Reply): string | undefined {
  const setCookie = reply.headers['set-cookie'];
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const found = all.find((c) => c.startsWith('session_id='));
  return found?.split(';')[0];
}
