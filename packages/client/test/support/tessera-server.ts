import { TestClock } from '../../../server/test/support/clock.js';
import { createUser, startTestServer, type TestServer } from '../../../server/test/support/tessera.js';

export { TEST_PASSWORD } from '../../../server/test/support/tessera.js';

export interface ClientTestServer extends TestServer {
  clock: TestClock;
  /** Successful refreshes the server has answered so far (from GET /metrics). */
  refreshes(): Promise<number>;
  /** Refresh tokens presented after use (each revoked its family), from GET /metrics. */
  reuseDetected(): Promise<number>;
  userId(username: string): Promise<string>;
}

/**
 * A real Tessera listening on a free port, with a clock the test moves (the client has a clock of its
 * own, moved by the test too), rate limits off unless the test sets them, and the given users.
 */
export async function startClientTestServer(env: Record<string, string> = {}, users: string[] = ['ada']): Promise<ClientTestServer> {
  const clock = new TestClock(Date.now());
  const server = await startTestServer({ AUTH_RATE_LIMIT: '0', ...env }, { clock });
  for (const username of users) await createUser(server.tessera, username);
  const metric = async (line: RegExp) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(line.exec(text)?.[1] ?? 0);
  };
  return {
    ...server,
    clock,
    refreshes: () => metric(/^tessera_refreshes_total\{outcome="success"\} (\d+)/m),
    reuseDetected: () => metric(/^tessera_refresh_reuse_detected_total (\d+)/m),
    userId: async (username) => (await server.tessera.admin.accounts.getByUsername(username)).id,
  };
}

/** A clock for the client that the test moves by hand, like the server's. */
export function clientClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advanceSeconds: (seconds: number) => (now += seconds * 1000) };
}
