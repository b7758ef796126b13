/** Where Tessera is reached and what it offers, for the discovery documents. */
export interface MetadataSource {
  /** `iss` of every token. */
  issuer: string;
  /** Where clients reach Tessera (PUBLIC_URL): the base of every endpoint URL. */
  publicUrl: string;
  /** The grant types `POST /oauth/token` accepts. */
  grantTypes: readonly string[];
  /** The algorithms of the keys in the JWKS: what access tokens are signed with. */
  signingAlgorithms: readonly string[];
}

/** How clients authenticate at the token, introspection and revocation endpoints: HTTP Basic (RFC 6749 §2.3.1). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic'] as const;

/**
 * The authorization server metadata (RFC 8414), served at /.well-known/oauth-authorization-server and,
 * for libraries that only know OpenID Connect discovery, at /.well-known/openid-configuration. Tessera
 * issues no ID tokens; `id_token_signing_alg_values_supported` is given because resource-server
 * libraries read it as the algorithms to accept on access tokens.
 */
export function authorizationServerMetadata(source: MetadataSource): Record<string, unknown> {
  const base = source.publicUrl.replace(/\/+$/, '');
  return {
    issuer: source.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/oauth/token`,
    introspection_endpoint: `${base}/oauth/introspect`,
    revocation_endpoint: `${base}/oauth/revoke`,
    grant_types_supported: [...source.grantTypes],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    id_token_signing_alg_values_supported: [...source.signingAlgorithms],
  };
}
