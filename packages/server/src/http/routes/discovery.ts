import type { FastifyInstance } from 'fastify';
import { authorizationServerMetadata } from '../../oauth/authorization-server-metadata.js';
import type { Tessera } from '../../tessera.js';

/** What the discovery routes use: where Tessera is, its grants and its keys. */
export type DiscoveryRouteDeps = Pick<Tessera, 'config' | 'oauth' | 'keyRing'>;

const urls = ['issuer', 'jwks_uri', 'token_endpoint', 'introspection_endpoint', 'revocation_endpoint'];
const lists = [
  'grant_types_supported',
  'response_types_supported',
  'token_endpoint_auth_methods_supported',
  'introspection_endpoint_auth_methods_supported',
  'revocation_endpoint_auth_methods_supported',
  'id_token_signing_alg_values_supported',
];
const metadataSchema = {
  type: 'object',
  properties: {
    ...Object.fromEntries(urls.map((name) => [name, { type: 'string' }])),
    ...Object.fromEntries(lists.map((name) => [name, { type: 'array', items: { type: 'string' } }])),
  },
} as const;

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414) and GET /.well-known/openid-configuration: the
 * one document from which a resource server's library finds the keys and endpoints, given the issuer.
 */
export async function discoveryRoutes(app: FastifyInstance, { tessera }: { tessera: DiscoveryRouteDeps }): Promise<void> {
  const document = () =>
    authorizationServerMetadata({
      issuer: tessera.config.issuer,
      publicUrl: tessera.config.publicUrl,
      grantTypes: tessera.oauth.grants.types,
      signingAlgorithms: [...new Set(tessera.keyRing.jwks().keys.map((key) => key.alg))],
    });
  for (const [url, summary] of [
    ['/.well-known/oauth-authorization-server', 'Authorization server metadata (RFC 8414)'],
    ['/.well-known/openid-configuration', 'The same metadata where OpenID Connect discovery looks for it'],
  ] as const) {
    app.get(url, { schema: { summary, tags: ['keys'], response: { 200: metadataSchema } } }, async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return document();
    });
  }
}
