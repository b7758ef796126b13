import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/tessera.js';

const run = promisify(execFile);

/** The seed's "For API Clients" snippets, verbatim. */
const BEFORE = `
# Login
response = requests.post("/api/login", json={"username": "user", "password": "pass"})
session_cookie = response.cookies["session_id"]

# Authenticated request
requests.get("/api/users", cookies={"session_id": session_cookie})
`;

const AFTER = `
# Login
response = requests.post("/auth/login", json={"username": "user", "password": "pass"})
access_token = response.json()["access_token"]
refresh_token = response.json()["refresh_token"]

# Authenticated request
requests.get("/api/users", headers={"Authorization": f"Bearer {access_token}"})

# Refresh when access token expires
response = requests.post("/auth/refresh", json={"refresh_token": refresh_token})
new_access_token = response.json()["access_token"]
`;

/**
 * The only change to the snippets: they call \`requests\` with paths, so \`requests\` here is the real
 * library with the server's base URL in front. Every answer is reported back as JSON.
 */
const HARNESS = `
import json, sys
import requests as _requests

BASE = sys.argv[1]
answers = []

class requests:
    @staticmethod
    def post(path, **kwargs):
        answers.append(_requests.post(BASE + path, **kwargs))
        return answers[-1]

    @staticmethod
    def get(path, **kwargs):
        answers.append(_requests.get(BASE + path, **kwargs))
        return answers[-1]
`;

const REPORT = `
print(json.dumps([
    {"request": r.request.method + " " + r.request.path_url, "status": r.status_code, "headers": {k.lower(): v for k, v in r.headers.items()}}
    for r in answers
]))
`;

interface Answer {
  request: string;
  status: number;
  headers: Record<string, string>;
}

async function runSnippet(snippet: string, base: string): Promise<Answer[]> {
  const { stdout } = await run('python3', ['-c', HARNESS + snippet + REPORT, base], { timeout: 20_000 });
  return JSON.parse(stdout) as Answer[];
}

describe("the seed's client snippets against one server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT: '0' });
    const t = server.tessera;
    // "pass" is shorter than `tessera users add` accepts, so the seed's user is created directly.
    await t.store.users.create({ id: crypto.randomUUID(), username: 'user', role: 'user', passwordHash: await t.passwords.hash('pass'), createdAt: t.clock.now() });
  });
  afterAll(() => server.stop());

  it('"Before (session-based)" runs as written and is told that sessions are deprecated', async () => {
    const [login, users] = await runSnippet(BEFORE, server.url);
    expect(login).toMatchObject({ request: 'POST /api/login', status: 200 });
    expect(login!.headers['set-cookie']).toMatch(/^session_id=[\w-]{43}; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(users).toMatchObject({ request: 'GET /api/users', status: 200 });
    for (const answer of [login!, users!]) {
      expect(answer.headers.deprecation).toBe('@1795392000');
      expect(answer.headers.sunset).toBe('Sun, 21 Feb 2027 00:00:00 GMT');
      expect(answer.headers.link).toBe('</docs/auth-migration-guide.md>; rel="deprecation"; type="text/markdown"');
    }
  });

  it('"After (JWT-based)" runs as written on the same server, without deprecation headers', async () => {
    const answers = await runSnippet(AFTER, server.url);
    expect(answers.map((a) => `${a.request} ${a.status}`)).toEqual(['POST /auth/login 200', 'GET /api/users 200', 'POST /auth/refresh 200']);
    for (const answer of answers) {
      expect(answer.headers.deprecation).toBeUndefined();
      expect(answer.headers.sunset).toBeUndefined();
    }
  });
});
