import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import type { ServiceClientRecord } from '../oauth/service-client.js';
import type { IssuedServiceCredentials, ServiceCredentials } from '../oauth/service-credentials.js';
import type { Actor } from './actor.js';

/** A service after a change, with how many logins its token exchange had started that the change signed out. */
export type ServiceChange = ServiceClientRecord & { revokedFamilies: number };

/**
 * Service credentials for operators (the admin API and `tessera services`), audited. Revoking a service
 * refuses its credentials from then on and every token already issued to it, on every instance.
 */
export class ServiceAdmin {
  constructor(
    private readonly credentials: ServiceCredentials,
    private readonly revoker: Revoker,
    private readonly audit: AuditLog,
  ) {}

  async add(name: string, audience: string | null, actor: Actor): Promise<IssuedServiceCredentials> {
    const issued = await this.credentials.add(name, audience);
    this.audit.record({
      type: 'admin.service.add',
      actor: actor.id,
      client: actor.client,
      detail: { name, clientId: issued.service.clientId, audience },
    });
    return issued;
  }

  list(): Promise<ServiceClientRecord[]> {
    return this.credentials.list();
  }

  /** Token exchange (RFC 8693) on or off for a service: only services an operator allowed may hand users over. */
  /** Turned off, the users the service signed in by exchange are signed out (their families and access tokens). */
  async setTokenExchange(name: string, allowed: boolean, actor: Actor): Promise<ServiceChange> {
    const service = await this.credentials.setTokenExchange(name, allowed);
    const signedOut = allowed ? 0 : await this.revoker.revokeServiceLogins(service.clientId, 'service_token_exchange_off');
    this.audit.record({
      type: 'admin.service.token_exchange',
      actor: actor.id,
      client: actor.client,
      detail: { name, clientId: service.clientId, allowed, ...(allowed ? {} : { revokedFamilies: signedOut }) },
    });
    return { ...service, revokedFamilies: signedOut };
  }

  /** Its own tokens are refused, and the users it signed in by exchange are signed out. */
  async revoke(name: string, actor: Actor): Promise<ServiceChange> {
    const revoked = await this.credentials.revoke(name);
    await this.revoker.revokeServiceTokens(revoked.clientId);
    const signedOut = await this.revoker.revokeServiceLogins(revoked.clientId, 'service_revoked');
    this.audit.record({
      type: 'admin.service.revoke',
      actor: actor.id,
      client: actor.client,
      detail: { name, clientId: revoked.clientId, revokedFamilies: signedOut },
    });
    return { ...revoked, revokedFamilies: signedOut };
  }
}
