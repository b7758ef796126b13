/** Where a verifier finds the issuer's keys and revocation feed. */
export interface IssuerEndpoints {
  jwksUri: string;
  feedUrl: string;
  /** The token endpoint (for a service's own client-credentials token), when the issuer publishes one. */
  tokenEndpoint?: string | undefined;
}

/**
 * Reads the issuer's RFC 8414 metadata (`/.well-known/oauth-authorization-server` under the issuer URL),
 * checking that it names the same issuer. The revocation feed is Tessera's own: its
 * `revocation_feed_endpoint` when published, else `auth/revocations` beside the JWKS's `.well-known/`.
 */
export async function discoverEndpoints(issuer: string): Promise<IssuerEndpoints> {
  const base = issuer.endsWith('/') ? issuer : `${issuer}/`;
  const url = new URL('.well-known/oauth-authorization-server', base);
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`discovery at ${url.href} answered ${response.status}`);
  const metadata = (await response.json()) as Record<string, unknown>;
  if (metadata.issuer !== issuer) throw new Error(`discovery at ${url.href} names the issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)}`);
  if (typeof metadata.jwks_uri !== 'string') throw new Error(`discovery at ${url.href} has no jwks_uri`);
  return {
    jwksUri: metadata.jwks_uri,
    feedUrl: typeof metadata.revocation_feed_endpoint === 'string' ? metadata.revocation_feed_endpoint : feedBesideJwks(metadata.jwks_uri),
    tokenEndpoint: typeof metadata.token_endpoint === 'string' ? metadata.token_endpoint : undefined,
  };
}

/** `https://auth.example.com/.well-known/jwks.json` → `https://auth.example.com/auth/revocations`. */
export function feedBesideJwks(jwksUri: string): string {
  return new URL('../auth/revocations', jwksUri).href;
}
