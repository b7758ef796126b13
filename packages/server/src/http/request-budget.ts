import type { AuditLog } from '../audit/audit-log.js';
import type { WindowCounts } from '../fleet/window-counts.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import { RateLimitedError } from '../errors.js';

export interface BudgetLimit {
  /** Names the counters and the audit events: `credential`, `refresh-ip`, `refresh-family`. */
  name: string;
  /** Requests per window per key; 0 = unlimited. */
  max: number;
  windowMs: number;
}

/**
 * A number of requests per key and window shared by whichever routes take from it (e.g. one per-IP
 * budget for every endpoint that checks a password or trades a credential). Over it: 429 with
 * Retry-After, and one `rate_limited` audit event per key and window.
 */
export class RequestBudget {
  constructor(
    private readonly counts: WindowCounts,
    private readonly limit: BudgetLimit,
    private readonly audit: AuditLog,
  ) {}

  async take(key: string, client: ClientInfo, route: string): Promise<void> {
    if (this.limit.max === 0) return;
    const { current, ttl } = await this.counts.hit(`${this.limit.name}:${key}`, this.limit.windowMs);
    if (current <= this.limit.max) return;
    if (current === this.limit.max + 1) this.audit.record({ type: 'rate_limited', client, detail: { route, budget: this.limit.name } });
    throw new RateLimitedError(Math.max(1, Math.ceil(ttl / 1000)));
  }
}
