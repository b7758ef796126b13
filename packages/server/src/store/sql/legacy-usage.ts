import type { LegacyUsageCount, LegacyUsageRecord } from '../../sessions/legacy-usage-count.js';
import type { LegacyUsageRepository } from '../store.js';
import { chunks, valueRows, type SqlDriver } from './sql-driver.js';

/** Session-authenticated requests per (user, User-Agent). */
export class SqlLegacyUsage implements LegacyUsageRepository {
  constructor(private readonly db: SqlDriver) {}

  async add(counts: LegacyUsageCount[]): Promise<void> {
    const grouped = groupByClient(counts);
    if (grouped.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const chunk of chunks(grouped)) {
        await tx.run(
          `INSERT INTO legacy_usage (user_id, user_agent, first_seen, last_seen, request_count) VALUES ${valueRows(chunk.length, 5)}
           ON CONFLICT (user_id, user_agent) DO UPDATE SET
             first_seen = CASE WHEN excluded.first_seen < legacy_usage.first_seen THEN excluded.first_seen ELSE legacy_usage.first_seen END,
             last_seen = CASE WHEN excluded.last_seen > legacy_usage.last_seen THEN excluded.last_seen ELSE legacy_usage.last_seen END,
             request_count = legacy_usage.request_count + excluded.request_count`,
          chunk.flatMap((c) => [c.userId, c.userAgent, c.firstSeen, c.lastSeen, c.requestCount]),
        );
      }
    });
  }

  list(since: number): Promise<LegacyUsageRecord[]> {
    const byteOrder = this.db.byteOrder;
    return this.db.all<LegacyUsageRecord>(
      `SELECT l.user_id AS "userId", u.username, l.user_agent AS "userAgent", l.first_seen AS "firstSeen",
         l.last_seen AS "lastSeen", l.request_count AS "requestCount"
       FROM legacy_usage l LEFT JOIN users u ON u.id = l.user_id
       WHERE l.last_seen >= ? ORDER BY l.last_seen DESC, l.user_id${byteOrder}, l.user_agent${byteOrder}`,
      [since],
    );
  }
}

/** One count per (user, User-Agent): a statement may not update the same row twice (PostgreSQL). */
function groupByClient(counts: readonly LegacyUsageCount[]): LegacyUsageCount[] {
  const grouped = new Map<string, LegacyUsageCount>();
  for (const c of counts) {
    const key = JSON.stringify([c.userId, c.userAgent]);
    const seen = grouped.get(key);
    grouped.set(
      key,
      seen
        ? {
            ...seen,
            firstSeen: Math.min(seen.firstSeen, c.firstSeen),
            lastSeen: Math.max(seen.lastSeen, c.lastSeen),
            requestCount: seen.requestCount + c.requestCount,
          }
        : { ...c },
    );
  }
  return [...grouped.values()];
}
