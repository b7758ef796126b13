import type { Clock } from '../clock.js';
import type { AuditEventType } from './audit-event-types.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { AuditEventRecord, AuditQuery, NewAuditEvent } from '../audit/audit-event.js';
import type { ClientInfo } from '../tokens/refresh-family.js';

export type { AuditEventType } from './audit-event-types.js';

export interface AuditEntry {
  type: AuditEventType;
  userId?: string | null;
  actor?: string | null;
  client?: ClientInfo;
  detail?: Record<string, unknown>;
}

export interface AuditLogOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Buffered events are written at least this often. */
  flushIntervalMs?: number;
  /** Events written per statement. */
  batchSize?: number;
  /** Events held while the database is unreachable; past this the oldest are dropped (and counted). */
  capacity?: number;
}

/**
 * The audit trail. Recording never waits on the database: events are buffered and written in batches
 * (about once a second), so the login and refresh paths pay no extra round trip. The cost is that a
 * process killed outright loses at most the last second of audit events — never a token operation.
 */
export class AuditLog {
  private buffer: NewAuditEvent[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(event: NewAuditEvent) => void>();
  /** Events dropped because the buffer was full while the database was unreachable. */
  dropped = 0;
  /** Events the database refused for what they hold, written to the log instead (`writeBuffered`). */
  setAside = 0;

  constructor(private readonly options: AuditLogOptions) {}

  record(entry: AuditEntry): void {
    const capacity = this.options.capacity ?? 100_000;
    if (this.buffer.length >= capacity) {
      this.buffer.shift();
      this.dropped += 1;
    }
    const event: NewAuditEvent = {
      at: this.options.clock.now(),
      type: entry.type,
      userId: entry.userId ?? null,
      actor: entry.actor ?? null,
      ip: entry.client?.ip ?? null,
      userAgent: entry.client?.userAgent ?? null,
      detail: entry.detail ?? null,
    };
    this.buffer.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Calls `listener` with every event as it is recorded (metrics count them); returns the unsubscribe. */
  subscribe(listener: (event: NewAuditEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Writes everything buffered so far; on failure the events stay buffered for the next attempt. */
  flush(): Promise<void> {
    this.flushing ??= this.writeBuffered().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Events matching the query, newest first (buffered events are written first). */
  async query(query: AuditQuery): Promise<AuditEventRecord[]> {
    await this.flush();
    return this.options.store.audit.query(query);
  }

  /**
   * Writes the buffer in batches. A batch the database refuses for what it holds (PostgreSQL's data
   * exceptions: text it cannot store, say), rather than for being unreachable, is written again one event
   * at a time, and an event refused on its own is set aside: logged whole at level error and counted in
   * `setAside`, so that it never holds back the events behind it. Anything else is retried later.
   */
  private async writeBuffered(): Promise<void> {
    let batchSize = this.options.batchSize ?? 500;
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, batchSize);
      try {
        await this.options.store.audit.append(batch);
      } catch (error) {
        if (!refusedForContent(error)) {
          this.options.logger.warn({ err: error, pending: this.buffer.length }, 'audit events not written yet; will retry');
          return;
        }
        if (batch.length > 1) {
          batchSize = 1;
          continue;
        }
        this.buffer.shift();
        this.setAside += 1;
        this.options.logger.error({ err: error, event: batch[0] }, 'audit event refused by the database for what it holds; set aside');
        continue;
      }
      this.buffer.splice(0, batch.length);
    }
  }
}

/** A PostgreSQL data exception (SQLSTATE class 22): the statement's values, not the connection, were refused. */
function refusedForContent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}
