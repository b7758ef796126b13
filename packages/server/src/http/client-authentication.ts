import basicAuth from 'basic-auth';
import type { FastifyRequest } from 'fastify';
import type { ServiceClientRecord } from '../oauth/service-client.js';
import { InvalidClientError } from '../errors.js';
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
