/**
 * Every type of audit event Tessera records: a closed set. Recording another type does not compile, and
 * the admin API and `tessera audit` refuse to filter by a type that is not here. docs/api/admin.md lists
 * the same types (a test keeps them equal).
 */
export const AUDIT_EVENT_TYPES = [
  'login.success',
  'login.failure',
  'login.throttled',
  'login.locked',
  'login.queue_full',
  'login.jwt_not_enabled',
  'token.refresh',
  'token.refresh_failed',
  'token.reuse_detected',
  'token.revoke',
  'logout',
  'rate_limited',
  'session.login',
  'session.logout',
  'session.exchange',
  'admin.user.create',
  'admin.user.role_change',
  'admin.user.disable',
  'admin.user.enable',
  'admin.user.password_reset',
  'admin.user.email_change',
  'admin.user.sign_out',
  'admin.user.unlock',
  'admin.all.sign_out',
  'admin.family.revoke',
  'admin.key.rotate',
  'admin.key.revoke',
  'admin.rollout.set',
  'admin.rollout.revoke',
  'admin.rollout.reset',
  'admin.rollout.override',
  'account.device.sign_out',
  'account.sign_out_everywhere',
  'account.password_change',
  'account.reauth',
  'account.email_change',
  'account.email_confirmed',
  'legacy.notice_sent',
  'admin.service.add',
  'admin.service.revoke',
  'admin.service.token_exchange',
  'token.exchange',
  'token.exchange_refused',
  'admin.user.import',
  'user.password_rehashed',
  'legacy_auth.migrated',
  'legacy_auth.refused',
  'legacy_auth.failed',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);

export function isAuditEventType(value: string): value is AuditEventType {
  return KNOWN.has(value);
}
