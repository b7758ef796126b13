import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthenticatedRequestCounts } from './authenticated-request-counts.js';
import { RequestMetrics } from './request-metrics.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store } from '../store/store.js';
import type { NewAuditEvent } from '../audit/audit-event.js';
import type { RevocationList } from '../tokens/revocation-list.js';

export interface MetricsSources {
  store: Store;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  revocations: RevocationList;
  passwords: PasswordHasher;
  requestCounts: AuthenticatedRequestCounts;
}

/** Audit events that revoke something, and the `reason` label their revocation is counted under. */
const REVOCATION_REASONS: Record<string, string> = {
  logout: 'logout',
  'token.reuse_detected': 'reuse_detected',
  'admin.family.revoke': 'admin_sign_out',
  'admin.user.sign_out': 'admin_sign_out',
  'admin.user.disable': 'user_disabled',
  'admin.user.password_reset': 'password_reset',
  'admin.user.role_change': 'role_changed',
};

/**
 * This instance's Prometheus metrics, in a registry of its own (several instances in one process never
 * collide). Auth outcomes are counted from the audit events as they are recorded, so the counters and
 * the audit trail cannot disagree; gauges are read when scraped.
 */
export class TesseraMetrics {
  readonly registry = new Registry();
  private readonly requests: RequestMetrics;
  private readonly rateLimited: Counter<'route'>;
  private readonly logins: Counter<'outcome'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly reuse: Counter;
  private readonly logouts: Counter;
  private readonly loginThrottle: Counter<'action'>;
  private readonly revocationsMade: Counter<'reason'>;
  private readonly unsubscribe: () => void;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new RequestMetrics(this.registry, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
    this.rateLimited = new Counter({
      name: 'tessera_rate_limited_total',
      help: 'Requests refused with 429 by the rate limit, by route',
      labelNames: ['route'],
      registers,
    });
    this.logins = new Counter({ name: 'tessera_logins_total', help: 'Password logins, by outcome (success, failure)', labelNames: ['outcome'], registers });
    this.refreshes = new Counter({
      name: 'tessera_refreshes_total',
      help: 'Refresh-token exchanges, by outcome (success, failure; reuse is counted separately)',
      labelNames: ['outcome'],
      registers,
    });
    this.reuse = new Counter({
      name: 'tessera_refresh_reuse_detected_total',
      help: 'Refresh tokens presented again after use: each revoked its whole family',
      registers,
    });
    this.logouts = new Counter({ name: 'tessera_logouts_total', help: 'Devices logged out', registers });
    this.loginThrottle = new Counter({
      name: 'tessera_login_throttle_total',
      help: 'Accounts whose logins began to be slowed (slowed), account+IP pairs refused with 429 (locked), and checks of a slowed account refused with 429 while others of it were in turn (queue_full)',
      labelNames: ['action'],
      registers,
    });
    this.revocationsMade = new Counter({
      name: 'tessera_revocations_total',
      help: 'Revocations made through this instance, by reason (logout, reuse_detected, admin_sign_out, user_disabled, password_reset, role_changed)',
      labelNames: ['reason'],
      registers,
    });
    const { passwords } = sources;
    new Counter({
      name: 'tessera_logins_shed_total',
      help: 'Password checks (logins) and hashes answered 503 because no hashing slot freed up within LOGIN_QUEUE_MAX_WAIT_MS',
      registers,
      collect() {
        this.reset();
        this.inc(passwords.shed);
      },
    });
    this.defineGauges(sources, registers);
    this.unsubscribe = sources.audit.subscribe((event) => this.count(event));
  }

  /** Records one answered request; `route` is the route pattern (`/admin/users/:id`), never the raw URL. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe(method, route, status, seconds);
    if (status === 429) this.rateLimited.inc({ route });
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.unsubscribe();
    this.registry.clear();
  }

  private count(event: NewAuditEvent): void {
    switch (event.type) {
      case 'login.success':
        this.logins.inc({ outcome: 'success' });
        break;
      case 'login.failure':
        this.logins.inc({ outcome: 'failure' });
        break;
      case 'token.refresh':
        this.refreshes.inc({ outcome: 'success' });
        break;
      case 'token.refresh_failed':
        this.refreshes.inc({ outcome: 'failure' });
        break;
      case 'token.reuse_detected':
        this.reuse.inc();
        break;
      case 'logout':
        this.logouts.inc();
        break;
      case 'login.throttled':
        this.loginThrottle.inc({ action: 'slowed' });
        break;
      case 'login.locked':
        this.loginThrottle.inc({ action: 'locked' });
        break;
      case 'login.queue_full':
        this.loginThrottle.inc({ action: 'queue_full' });
        break;
    }
    const reason = REVOCATION_REASONS[event.type];
    if (reason) this.revocationsMade.inc({ reason });
  }

  private defineGauges({ store, clock, logger, audit, revocations, requestCounts }: MetricsSources, registers: Registry[]): void {
    new Counter({
      name: 'tessera_authenticated_requests_total',
      help: 'Requests to the protected API this instance authenticated, by how (jwt, session): the move to JWTs',
      labelNames: ['via'],
      registers,
      collect() {
        // Read from the hourly counts when scraped: the request path adds to one number only.
        const totals = requestCounts.processTotals();
        this.reset();
        this.inc({ via: 'jwt' }, totals.jwt);
        this.inc({ via: 'session' }, totals.session);
      },
    });
    new Gauge({
      name: 'tessera_active_families',
      help: 'Logged-in devices: refresh-token families not revoked whose newest token is unexpired (all instances)',
      registers,
      async collect() {
        try {
          this.set(await store.families.countActive(clock.now()));
        } catch (error) {
          // A scrape must still answer while the database is away; NaN says "unknown".
          logger.warn({ err: error }, 'active families not counted: the database did not answer');
          this.set(Number.NaN);
        }
      },
    });
    new Gauge({
      name: 'tessera_revocation_list_entries',
      help: 'Revoked, unexpired access tokens held in memory by this instance',
      registers,
      collect() {
        this.set(revocations.size);
      },
    });
    new Counter({
      name: 'tessera_revocation_list_evicted_total',
      help: 'Revocations not held in memory for lack of room, checked in the database instead (should stay 0)',
      registers,
      collect() {
        this.reset();
        this.inc(revocations.evicted);
      },
    });
    new Counter({
      name: 'tessera_audit_events_dropped_total',
      help: 'Audit events lost because the database was unreachable for too long (should stay 0)',
      registers,
      collect() {
        this.reset();
        this.inc(audit.dropped);
      },
    });
  }
}
