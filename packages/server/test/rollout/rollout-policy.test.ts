import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { rolloutBucket } from '../../src/rollout/rollout-bucket.js';
import { ROLLOUT_PERCENT_SETTING, RolloutPolicy, type RolloutPolicyOptions } from '../../src/rollout/rollout-policy.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TestClock } from '../support/clock.js';


const asUser = (id: string) => ({ id, role: 'user' });

describe('RolloutPolicy', () => {
  let dir: string;
  let store: SqliteStore;
  const clock = new TestClock();
  const policies: RolloutPolicy[] = [];
  const logged: string[] = [];

  beforeEach(async () => {
    logged.length = 0;
    dir = mkdtempSync(join(tmpdir(), 'tessera-rollout-'));
    store = new SqliteStore(join(dir, 'tessera.db'));
    await store.migrate();
  });
  afterEach(async () => {
    for (const policy of policies.splice(0)) policy.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function policy(options: Partial<RolloutPolicyOptions> = {}): RolloutPolicy {
    const created = new RolloutPolicy({
      store,
      clock,
      logger: createLogger('warn', { write: (line: string) => logged.push(line) }),
      defaultPercent: 100,
      enforced: true,
      pollIntervalMs: 60_000,
      ...options,
    });
    policies.push(created);
    return created;
  }

  async function addUser(username: string): Promise<string> {
    const user = await store.users.create({ id: `id-${username}`, username, role: 'user', passwordHash: 'x', createdAt: clock.now() });
    return user.id;
  }

  /** User ids in the given buckets, found by trying names. */
  function idsInBuckets(low: number, high: number, count: number): string[] {
    const found: string[] = [];
    for (let i = 0; found.length < count; i += 1) {
      const bucket = rolloutBucket(`id-u${i}`);
      if (bucket >= low && bucket < high) found.push(`id-u${i}`);
    }
    return found;
  }

  it('starts from JWT_ROLLOUT_PERCENT while the database holds no percentage', async () => {
    const p = policy({ defaultPercent: 30 });
    await p.start();
    expect(p.current()).toEqual({ percent: 30, source: 'environment', overrides: [] });
    expect(idsInBuckets(0, 30, 5).every((id) => p.allows(asUser(id)))).toBe(true);
    expect(idsInBuckets(30, 100, 5).some((id) => p.allows(asUser(id)))).toBe(false);
  });

  it('always lets admins in, so a rollback cannot lock the operators out of the admin API', async () => {
    const p = policy({ defaultPercent: 0 });
    await p.start();
    const [outside] = idsInBuckets(0, 100, 1);
    expect(p.allows({ id: outside!, role: 'user' })).toBe(false);
    expect(p.allows({ id: outside!, role: 'admin' })).toBe(true);
  });

  it('lets a stored percentage win over JWT_ROLLOUT_PERCENT until it is reset', async () => {
    const p = policy({ defaultPercent: 100 });
    await p.setPercent(0);
    expect(p.current()).toMatchObject({ percent: 0, source: 'database' });
    expect(await store.settings.read(ROLLOUT_PERCENT_SETTING)).toBe('0');
    const other = policy({ defaultPercent: 70 });
    await other.reload();
    expect(other.current()).toMatchObject({ percent: 0, source: 'database' });
    await p.resetPercent();
    await other.reload();
    expect(p.current()).toMatchObject({ percent: 100, source: 'environment' });
    expect(other.current()).toMatchObject({ percent: 70, source: 'environment' });
  });

  it('lets overrides win over the percentage, in both directions', async () => {
    const inside = await addUser('inside');
    const p = policy();
    await p.setPercent(0);
    expect(p.allows(asUser(inside))).toBe(false);
    await p.setOverride(inside, true);
    expect(p.allows(asUser(inside))).toBe(true);
    await p.setPercent(100);
    await p.setOverride(inside, false);
    expect(p.allows(asUser(inside))).toBe(false);
    await p.setOverride(inside, null);
    expect(p.allows(asUser(inside))).toBe(true);
    expect(p.current().overrides).toEqual([]);
  });

  it('only adds users when the percentage goes up', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const p = policy();
    let previous = new Set<string>();
    for (const percent of [0, 10, 50, 100]) {
      await p.setPercent(percent);
      const enabled = new Set(ids.filter((id) => p.allows(asUser(id))));
      expect([...previous].every((id) => enabled.has(id))).toBe(true);
      previous = enabled;
    }
    expect(previous.size).toBe(1000);
  });

  it('refuses a percentage outside 0–100', async () => {
    const p = policy();
    await expect(p.setPercent(101)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(p.setPercent(2.5)).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('ignores an invalid percentage found in the database, with a warning', async () => {
    await store.settings.write(ROLLOUT_PERCENT_SETTING, 'half', clock.now());
    const p = policy({ defaultPercent: 40 });
    await p.reload();
    expect(p.current()).toMatchObject({ percent: 40, source: 'environment' });
    expect(logged.join('')).toMatch(/ignoring an invalid jwt_rollout_percent/);
  });

  it('picks up a change made elsewhere on its next poll, without being told', async () => {
    const p = policy({ pollIntervalMs: 10 });
    await p.start();
    await store.settings.write(ROLLOUT_PERCENT_SETTING, '25', clock.now());
    await vi.waitFor(() => expect(p.current().percent).toBe(25), { timeout: 2000, interval: 5 });
  });

  it('keeps the last known settings when the database cannot be read', async () => {
    const p = policy({ pollIntervalMs: 10 });
    await p.setPercent(20);
    await p.start();
    await store.close();
    await expect(p.reload()).rejects.toThrow();
    await vi.waitFor(() => expect(logged.join('')).toMatch(/rollout settings reload failed/), { timeout: 2000, interval: 5 });
    expect(p.current().percent).toBe(20);
  });

  it('allows everyone, and says so at start, when not enforced (LEGACY_SESSIONS=off)', async () => {
    const p = policy({ defaultPercent: 0, enforced: false });
    await p.start();
    expect(idsInBuckets(0, 100, 20).every((id) => p.allows(asUser(id)))).toBe(true);
    expect(logged.join('')).toMatch(/rollout percentage is ignored/);
  });
});
