import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraClient } from '../src/index.js';
import { startClientTestServer, TEST_PASSWORD, type ClientTestServer } from './support/tessera-server.js';

/** Another origin's server that answers what an API refusing a token answers, and remembers what it was sent. */
async function otherOrigin(): Promise<{ origin: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
    response.end(JSON.stringify({ error: 'invalid_token', error_description: 'no' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("the access token goes only to Tessera's origin and apiOrigins", () => {
  let server: ClientTestServer;
  let other: Awaited<ReturnType<typeof otherOrigin>>;
  beforeAll(async () => {
    server = await startClientTestServer({}, ['ada']);
    other = await otherOrigin();
  });
  afterAll(async () => {
    await other.close();
    await server.stop();
  });

  it('refuses to send it to another origin, which then can neither read it nor make the client refresh; one listed in apiOrigins gets it', async () => {
    const client = new TesseraClient({ baseUrl: server.url });
    await client.login('ada', TEST_PASSWORD);
    expect((await client.fetch(`${server.url}/api/users`)).status).toBe(200);
    const refreshesBefore = await server.refreshes();

    await expect(client.fetch(`${other.origin}/avatar.png`)).rejects.toMatchObject({ code: 'untrusted_origin' });
    expect(other.seen).toEqual([]);
    expect(await server.refreshes()).toBe(refreshesBefore);

    const listed = new TesseraClient({ baseUrl: server.url, apiOrigins: [other.origin] });
    await listed.login('ada', TEST_PASSWORD);
    expect((await listed.fetch(`${other.origin}/orders`)).status).toBe(401);
    expect(other.seen[0]?.authorization).toMatch(/^Bearer eyJ/);
  });
});
