import { TesseraError } from '../errors.js';
import { SERVICE_ROLE } from '../users/roles.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import type { ServiceClientRecord } from './service-client.js';
import { AUDIENCE } from './service-credentials.js';
import type { GrantHandler } from './token-grants.js';

/**
 * RFC 6749 §4.4: an authenticated service gets an access token of its own — `sub` and `client_id` its
 * client_id, role `service`, `aud` the API it will call (RFC 8707 `resource`, else the audience
 * configured for the service), lifetime TOKEN_EXPIRY. No refresh token: it asks again.
 * `issuer` names Tessera itself: any service may ask for a token for it (to read the revocation feed),
 * whatever its configured audience, since such a token opens nothing but Tessera's service endpoints.
 */
export function clientCredentialsGrant(accessTokens: AccessTokens, issuer: string): GrantHandler<ServiceClientRecord> {
  return async ({ client, params }) => {
    const audience = targetAudience(client, params.resource, issuer);
    const minted = accessTokens.mint();
    const accessToken = await accessTokens.sign({ id: client.clientId, role: SERVICE_ROLE }, minted, {
      clientId: client.clientId,
      audience,
    });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: accessTokens.ttlSeconds };
  };
}

function targetAudience(client: ServiceClientRecord, resource: string | string[] | undefined, issuer: string): string {
  const requested = [...new Set(typeof resource === 'string' ? [resource] : (resource ?? []))];
  if (requested.length > 1) throw new TesseraError('invalid_target', 'Name one resource per token request');
  const [wanted] = requested;
  if (wanted === undefined) {
    if (client.audience !== null) return client.audience;
    throw new TesseraError('invalid_target', 'Name the API the token is for with the resource parameter (RFC 8707)');
  }
  if (!AUDIENCE.test(wanted) || wanted.includes('#')) {
    throw new TesseraError('invalid_target', 'resource must be a URI without a fragment, or an API name, of at most 200 characters');
  }
  if (client.audience !== null && wanted !== client.audience && wanted !== issuer) {
    throw new TesseraError('invalid_target', `This service may only obtain tokens for ${client.audience} (or for Tessera itself, ${issuer})`);
  }
  return wanted;
}
