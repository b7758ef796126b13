import basicAuth from 'basic-auth';
import type { FastifyRequest } from 'fastify';
import type { ServiceClientRecord } from '../oauth/service-client.js';
import { InvalidClientError, TesseraError } from '../errors.js';
import type { ServiceCredentials } from '../oauth/service-credentials.js';

declare module 'fastify' {
  interface FastifyRequest {
    serviceClient?: ServiceClientRecord;
  }
}

/**
 * onRequest hook of the OAuth endpoints: the service authenticates with HTTP Basic (RFC 6749 §2.3.1,
 * parsed by `basic-auth`), before its body is read; anything else is 401 `invalid_client`.
 */
export function requireServiceClient(credentials: ServiceCredentials) {
  return async function authenticateClient(request: FastifyRequest): Promise<void> {
    const parsed = basicAuth(request);
    if (!parsed) throw new InvalidClientError();
    request.serviceClient = await credentials.authenticate(formDecoded(parsed.name), formDecoded(parsed.pass));
  };
}

/** RFC 6749 §2.3.1: the client_id and secret are form-urlencoded before Basic encoding. */
function formDecoded(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw new InvalidClientError('The client credentials are not form-urlencoded');
  }
}

/**
 * RFC 6749 §2.3: a client uses one authentication method per request. HTTP Basic is Tessera's; a
 * `client_secret` in the body as well, or a `client_id` there naming another client, is refused
 * (`invalid_request`, §5.2) rather than ignored.
 */
export function refuseSecondClientAuthentication(body: unknown, client: ServiceClientRecord): void {
  const { client_id: clientId, client_secret: secret } = (body ?? {}) as Record<string, unknown>;
  if (secret !== undefined) {
    throw new TesseraError('invalid_request', 'Authenticate with HTTP Basic alone: a client_secret in the body as well is a second method');
  }
  if (clientId !== undefined && clientId !== client.clientId) {
    throw new TesseraError('invalid_request', 'The client_id in the body names another client than the HTTP Basic credentials');
  }
}
