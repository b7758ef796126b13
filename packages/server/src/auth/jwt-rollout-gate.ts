import type { AuditLog } from '../audit/audit-log.js';
import { TesseraError } from '../errors.js';
import type { RolloutPolicy } from '../rollout/rollout-policy.js';
import type { ClientInfo } from '../tokens/refresh-family.js';

/** What a user outside the JWT rollout is told (403 `jwt_not_enabled`). */
export const JWT_NOT_ENABLED =
  'JWT login is not enabled for this account yet; keep using POST /api/login (session cookie) until it is';

/** How the refused user asked for tokens: a password, a Tessera session, a service's token exchange, or a password change. */
export type JwtRequestVia = 'password' | 'exchange' | 'token_exchange' | 'password_change';

/**
 * The one rollout check in front of every way to a token pair: a user the rollout does not allow JWTs
 * yet is refused with `jwt_not_enabled`, and the refusal is audited.
 */
export function requireJwtEnabled(
  rollout: RolloutPolicy,
  audit: AuditLog,
  user: { id: string; role: string },
  client: ClientInfo,
  via: JwtRequestVia,
): void {
  if (rollout.allows(user)) return;
  audit.record({ type: 'login.jwt_not_enabled', userId: user.id, client, detail: { via } });
  throw new TesseraError('jwt_not_enabled', JWT_NOT_ENABLED);
}
