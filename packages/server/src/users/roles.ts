import { SERVICE_ROLE } from '@tessera/contract';

/** The role of every client-credentials token: never a user's role, never `admin` (the shared contract states it). */
export { SERVICE_ROLE };

/**
 * Roles a service can never hand over: an operator's (`admin`; a service must not be able to mint an
 * operator's tokens) and a service's own (`service`; roles are free-form, and a user holding a service's
 * role must not get, through a service, a token that passes for one). Checked when a service exchanges a
 * user (RFC 8693) and again on every refresh of a login a service started, since the role may change after.
 */
export const ROLES_NEVER_EXCHANGED: readonly string[] = ['admin', SERVICE_ROLE];
