import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { InvalidClientError, TesseraError } from '../errors.js';

import type { ServiceClientRecord, ServiceClientRepository } from './service-client.js';

/** A service name: what `tessera services add NAME` accepts. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** An audience a service may be configured with, or request as `resource`: a URI or a plain API name. */
export const AUDIENCE = /^[\x21-\x7e]{1,200}$/;

/** A new service's credentials: the secret exists only here, once. */
export interface IssuedServiceCredentials {
  service: ServiceClientRecord;
  clientSecret: string;
}

/**
 * Service credentials: created with a 256-bit random secret of which only the SHA-256 is stored (a
 * slow password hash adds nothing for a secret that cannot be guessed), checked in constant time,
 * revoked by name.
 */
export class ServiceCredentials {
  constructor(
    private readonly repository: ServiceClientRepository,
    private readonly clock: Clock,
  ) {}

  async add(name: string, audience: string | null): Promise<IssuedServiceCredentials> {
    if (!SERVICE_NAME.test(name)) {
      throw new TesseraError('invalid_request', 'A service name is 1 to 64 lower-case letters, digits, dots, dashes or underscores');
    }
    if (audience !== null && !AUDIENCE.test(audience)) {
      throw new TesseraError('invalid_request', 'An audience is 1 to 200 printable characters without spaces, such as https://orders.example.com');
    }
    const clientSecret = randomBytes(32).toString('base64url');
    const service: ServiceClientRecord = {
      name,
      clientId: `svc_${randomBytes(12).toString('base64url')}`,
      secretHash: hashSecret(clientSecret),
      audience,
      createdAt: this.clock.now(),
      revokedAt: null,
      tokenExchangeAt: null,
    };
    await this.repository.insert(service);
    return { service, clientSecret };
  }

  list(): Promise<ServiceClientRecord[]> {
    return this.repository.list();
  }

  async revoke(name: string): Promise<ServiceClientRecord> {
    const revoked = await this.repository.revoke(name, this.clock.now());
    if (!revoked) throw new TesseraError('not_found', `No active service named ${JSON.stringify(name)}`);
    return revoked;
  }

  /** Allows or forbids the active service of that name to exchange its signed-in users for token pairs. */
  async setTokenExchange(name: string, allowed: boolean): Promise<ServiceClientRecord> {
    const current = (await this.repository.list()).find((s) => s.name === name && s.revokedAt === null);
    // Allowing again keeps the first instant: it says since when the service has held the permission.
    const since = allowed ? (current?.tokenExchangeAt ?? this.clock.now()) : null;
    const changed = current ? await this.repository.setTokenExchange(name, since) : null;
    if (!changed) throw new TesseraError('not_found', `No active service named ${JSON.stringify(name)}`);
    return changed;
  }

  /** The active service these credentials belong to; `InvalidClientError` for anything else. */
  async authenticate(clientId: string, clientSecret: string): Promise<ServiceClientRecord> {
    // Only what could be a client id we issued is looked up (`svc_` and base64url): any other text is unknown.
    const service = CLIENT_ID.test(clientId) ? await this.repository.findByClientId(clientId) : null;
    // The hash is compared even for an unknown client, so timing does not tell client ids apart.
    const matches = timingSafeEqual(Buffer.from(hashSecret(clientSecret)), Buffer.from(service?.secretHash ?? UNKNOWN_CLIENT_HASH));
    if (!service || !matches || service.revokedAt !== null) throw new InvalidClientError();
    return service;
  }
}

/** The shape of the client ids `create` issues (and of any we could have issued), at most 64 characters. */
const CLIENT_ID = /^svc_[\w-]{1,60}$/;

const UNKNOWN_CLIENT_HASH = hashSecret(randomBytes(32).toString('base64url'));

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
