import { AUDIT_EVENT_TYPES, isAuditEventType } from '../audit/audit-event-types.js';
import type { AuditLog } from '../audit/audit-log.js';
import { TesseraError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { AuditEventRecord } from '../audit/audit-event.js';
import { normalizeUsername } from '../users/username.js';

/** An audit query as an operator writes it: a user by id or name, times as ISO 8601 text. */
export interface AuditSearchInput {
  userId?: string | undefined;
  username?: string | undefined;
  type?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  beforeId?: number | undefined;
  limit: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Reads the audit trail for operators (admin API and `tessera audit`), newest first. */
export class AuditSearch {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  async search(input: AuditSearchInput): Promise<AuditEventRecord[]> {
    if (input.userId !== undefined && input.username !== undefined) {
      throw new TesseraError('invalid_request', 'Filter by user id or by username, not both');
    }
    if (input.type !== undefined && !isAuditEventType(input.type)) {
      throw new TesseraError(
        'invalid_request',
        `type ${JSON.stringify(input.type)} is not an audit event type; the types are ${AUDIT_EVENT_TYPES.join(', ')}`,
      );
    }
    const userId = input.username === undefined ? input.userId : await this.userIdOf(input.username);
    return this.audit.query({
      limit: input.limit,
      ...(userId !== undefined ? { userId } : {}),
      ...(input.type !== undefined ? { type: input.type } : {}),
      ...(input.since !== undefined ? { since: parseTime(input.since, 'since') } : {}),
      ...(input.until !== undefined ? { until: parseTime(input.until, 'until') } : {}),
      ...(input.beforeId !== undefined ? { beforeId: input.beforeId } : {}),
    });
  }

  private async userIdOf(username: string): Promise<string> {
    const user = await this.store.users.findByUsername(normalizeUsername(username));
    if (!user) throw new TesseraError('not_found', `No user named ${JSON.stringify(username)}`);
    return user.id;
  }
}

/** `2026-01-31`, `2026-01-31T12:00:00Z`, `2026-01-31T12:00:00.5+02:00`, …; a date alone is midnight UTC. */
export function parseTime(text: string, name: string): number {
  const ms = ISO_TIME.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new TesseraError('invalid_request', `${name} must be an ISO 8601 time such as 2026-01-31T12:00:00Z (got ${JSON.stringify(text)})`);
  }
  return ms;
}
