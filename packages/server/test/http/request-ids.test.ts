import { afterEach, describe, expect, it } from 'vitest';
import { startTestInstance, type TestInstance } from '../support/tessera.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  let t: TestInstance | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('ignores the X-Request-Id a client sends directly and answers with an id of its own', async () => {
    t = await startTestInstance();
    const response = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'forged-id-123' } });
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('keeps the X-Request-Id of a trusted proxy when it has a safe shape', async () => {
    t = await startTestInstance({ TRUST_PROXY: 'loopback' });
    const response = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'edge-7f3a.1:2' } });
    expect(response.headers['x-request-id']).toBe('edge-7f3a.1:2');
  });

  it('ignores X-Request-Id from an address that is not the trusted proxy', async () => {
    t = await startTestInstance({ TRUST_PROXY: '10.0.0.1' });
    const response = await t.app.inject({ url: '/healthz', remoteAddress: '192.0.2.9', headers: { 'x-request-id': 'forged-id-123' } });
    expect(response.headers['x-request-id']).toMatch(UUID);
    const proxied = await t.app.inject({ url: '/healthz', remoteAddress: '10.0.0.1', headers: { 'x-request-id': 'edge-42' } });
    expect(proxied.headers['x-request-id']).toBe('edge-42');
  });

  it('replaces a trusted proxy’s request id of an unsafe shape (spaces, quotes, control characters, too long)', async () => {
    t = await startTestInstance({ TRUST_PROXY: 'loopback' });
    for (const id of ['has space', 'quote"d', 'esc\u001b[2J', 'x'.repeat(65)]) {
      const response = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': id } });
      expect(response.headers['x-request-id'], id).toMatch(UUID);
    }
  });
});
