import type { RequestCount, RequestCountRepository } from '../store.js';
import { chunks, valueRows, type SqlDriver } from './sql-driver.js';

/** Authenticated requests per (hour, via). */
export class SqlRequestCounts implements RequestCountRepository {
  constructor(private readonly db: SqlDriver) {}

  async add(counts: RequestCount[]): Promise<void> {
    // One row per (hour, via): a statement may not update the same row twice (PostgreSQL).
    const grouped = new Map<string, RequestCount>();
    for (const c of counts) {
      const key = `${c.hour}:${c.via}`;
      const seen = grouped.get(key);
      grouped.set(key, seen ? { ...seen, count: seen.count + c.count } : { ...c });
    }
    if (grouped.size === 0) return;
    await this.db.transaction(async (tx) => {
      for (const chunk of chunks([...grouped.values()])) {
        await tx.run(
          `INSERT INTO request_counts (hour, via, requests) VALUES ${valueRows(chunk.length, 3)}
           ON CONFLICT (hour, via) DO UPDATE SET requests = request_counts.requests + excluded.requests`,
          chunk.flatMap((c) => [c.hour, c.via, c.count]),
        );
      }
    });
  }

  list(since: number): Promise<RequestCount[]> {
    return this.db.all<RequestCount>('SELECT hour, via, requests AS count FROM request_counts WHERE hour >= ? ORDER BY hour, via', [since]);
  }

  async prune(before: number): Promise<number> {
    return (await this.db.all<{ hour: number }>('DELETE FROM request_counts WHERE hour < ? RETURNING hour', [before])).length;
  }
}
