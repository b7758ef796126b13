import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { BUNDLE, buildBrowserBundle } from '../../../client/bundle.mjs';
import { createUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/tessera.js';

describe('GET /sdk/tessera-client.js', () => {
  let server: TestServer;
  beforeAll(async () => {
    if (!existsSync(BUNDLE as string)) await (buildBrowserBundle as () => Promise<string>)();
    server = await startTestServer({ AUTH_RATE_LIMIT: '0' });
    await createUser(server.tessera, 'ada');
  });
  afterAll(() => server.stop());

  it('serves the browser SDK as a cacheable JavaScript module pointing at its source map', async () => {
    const response = await fetch(`${server.url}/sdk/tessera-client.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    const source = await response.text();
    expect(source).toMatch(/export\s*\{/);
    expect(source).toMatch(/\/\/# sourceMappingURL=tessera-client\.js\.map\s*$/);
    const map = (await (await fetch(`${server.url}/sdk/tessera-client.js.map`)).json()) as { sources: string[] };
    expect(map.sources.some((path: string) => path.endsWith('src/tessera-client.ts'))).toBe(true);
  });

  it('is a working module: imported as served, it logs in and calls the API', async () => {
    const source = await (await fetch(`${server.url}/sdk/tessera-client.js`)).text();
    const sdk = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
    const client = new sdk.TesseraClient({ baseUrl: server.url });
    expect(await client.login('ada', TEST_PASSWORD)).toEqual({ status: 'signed_in' });
    expect((await client.fetch(`${server.url}/api/users`)).status).toBe(200);
  });
});
