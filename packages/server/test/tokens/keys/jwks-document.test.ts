import { describe, expect, it } from 'vitest';
import { generateKey } from '../../../src/tokens/keys/key-generation.js';
import { jwksDocument } from '../../../src/tokens/keys/jwks-document.js';

describe('the JWKS document', () => {
  it('publishes the public part of access keys and nothing of refresh keys', async () => {
    const access = await generateKey('access', 'ES256');
    const refresh = await generateKey('refresh', 'ES256');
    const document = jwksDocument([access.publicJwk ?? undefined, refresh.publicJwk ?? undefined]);
    expect(document.keys).toHaveLength(1);
    expect(document.keys[0]).toMatchObject({ kid: access.kid, alg: 'ES256', use: 'sig', kty: 'EC' });
    expect(document.keys[0]).not.toHaveProperty('d');
    expect(refresh.alg).toBe('HS256');
  });
});
