import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/tessera.js';

const run = promisify(execFile);
const GUIDE = readFileSync(new URL('../../../../docs/auth-migration-guide.md', import.meta.url), 'utf8');
const DOCUMENTED_BASE = 'http://localhost:5000';

/** The fenced code blocks of the guide in the given language, in order. */
function blocks(language: string): string[] {
  return [...GUIDE.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
}

describe('the code in docs/auth-migration-guide.md', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    // Development mode, as `npm start`: the guide's examples log in as test/test123.
    server = await startTestServer({ NODE_ENV: 'development', AUTH_RATE_LIMIT: '0' });
    dir = mkdtempSync(join(tmpdir(), 'tessera-guide-'));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents the server at the address of npm start', () => {
    expect(GUIDE).toContain(DOCUMENTED_BASE);
  });

  it('runs every Python example, in order, as one client would (only the base URL differs)', async () => {
    const python = blocks('python');
    expect(python).toHaveLength(4);
    const program = python.join('\n').replaceAll(DOCUMENTED_BASE, server.url) + `
assert response.status_code == 200, response.text
assert "access_token" in response.json()
print(requests.get(f"{BASE}/api/users", cookies={"session_id": session_cookie}).status_code)
print(requests.get(f"{BASE}/api/me", headers={"Authorization": f"Bearer {access_token}"}).json()["auth"])
`;
    const { stdout } = await run('python3', ['-c', program], { timeout: 20_000 });
    // The exchange ended the session of the "Before" example; its token works.
    expect(stdout).toBe('401\njwt\n');
  });

  it('runs the TypeScript example', async () => {
    const [typescript] = blocks('ts');
    const file = join(dir, 'client.mts');
    writeFileSync(file, typescript!.replaceAll(DOCUMENTED_BASE, server.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { timeout: 30_000, cwd: process.cwd() });
    expect(stdout).toBe('200 @1795392000 Sun, 21 Feb 2027 00:00:00 GMT\n200 null\n');
  });
});
