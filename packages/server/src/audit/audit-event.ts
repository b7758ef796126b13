/** Audit events as stored and queried. */

/** Something that happened, for the audit trail: who, from where, when, and what. */
export interface NewAuditEvent {
  at: number;
  /** e.g. `login.success`, `token.reuse_detected`, `admin.user.disable`. */
  type: string;
  userId: string | null;
  /** Who acted, when not the user concerned (an admin's id, `cli`). */
  actor: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditEventRecord extends NewAuditEvent {
  id: number;
}

export interface AuditQuery {
  userId?: string;
  type?: string;
  /** Inclusive lower bound on `at`. */
  since?: number;
  /** Exclusive upper bound on `at`. */
  until?: number;
  /** Only events with a smaller id (paging backwards from the newest). */
  beforeId?: number;
  limit: number;
}
