import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestServer, TEST_PASSWORD, type TestServer } from '../../../server/test/support/tessera.js';

const CLIENT = resolve(import.meta.dirname, '../../../../clients/python');

/** Python 3 with `requests` (CI installs Debian's python3-requests); elsewhere these tests skip visibly. */
function pythonWithRequests(): boolean {
  if (spawnSync('python3', ['-c', 'import requests']).status === 0) return true;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error('python3 with requests is not installed and REQUIRE_SERVICES=1');
  process.stderr.write('\n  ⚠ SKIPPED: the Python client tests — python3 with requests is not installed\n\n');
  return false;
}

describe('clients/python: TesseraAuth for requests', () => {
  let server: TestServer;
  const runs = pythonWithRequests();
  beforeAll(async () => {
    if (!runs) return;
    server = await startTestServer({ AUTH_RATE_LIMIT: '0' });
    await createUser(server.tessera, 'ada');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.skipIf(!runs)('passes its unittest suite against a real server: 20 threads, one refresh', async () => {
    const { stderr } = await promisify(execFile)('python3', ['-m', 'unittest', '-v', 'test_tessera_auth'], {
      cwd: CLIENT,
      env: { ...process.env, TESSERA_URL: server.url, TESSERA_USERNAME: 'ada', TESSERA_PASSWORD: TEST_PASSWORD },
    });
    expect(stderr).toMatch(/Ran 4 tests/);
    expect(stderr).toMatch(/\nOK\s*$/);
    expect(stderr).not.toMatch(/skipped/);
  });
});
