import type { TesseraDependencies } from '../../src/tessera.js';
import { TestClock } from './clock.js';
import { dropSchema, freshSchemaName } from './postgres-schema.js';
import { deleteRedisKeys, freshRedisPrefix } from './redis.js';
import { POSTGRES_URL, REDIS_URL } from './services.js';
import { startTestInstance, type TestInstance } from './tessera.js';

/** The shared state of one test fleet: its own PostgreSQL schema and its own Redis key prefix. */
export interface TestFleet {
  schema: string;
  prefix: string;
  /** DATABASE_URL, REDIS_URL and REDIS_PREFIX for an instance of this fleet. */
  env(overrides?: { redisUrl?: string; databaseUrl?: string }): Record<string, string>;
  cleanup(): Promise<void>;
}

export function postgresUrl(schema: string, base = POSTGRES_URL): string {
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return url.toString();
}

export function testFleet(): TestFleet {
  const schema = freshSchemaName();
  const prefix = freshRedisPrefix();
  return {
    schema,
    prefix,
    env: (overrides = {}) => ({
      DATABASE_URL: postgresUrl(schema, overrides.databaseUrl),
      REDIS_URL: overrides.redisUrl ?? REDIS_URL,
      REDIS_PREFIX: prefix,
    }),
    async cleanup() {
      await Promise.all([dropSchema(schema), deleteRedisKeys(prefix)]);
    },
  };
}

/** Instances of one fresh test fleet, started on demand; `close()` stops them and drops the fleet's state. */
export interface FleetInstances {
  fleet: TestFleet;
  start(): Promise<TestInstance>;
  close(): Promise<void>;
}

/** A fresh fleet whose instances run with the given background intervals (rate limit off, a test clock each). */
export function fleetInstances(intervals: TesseraDependencies['intervals']): FleetInstances {
  const fleet = testFleet();
  const started: TestInstance[] = [];
  return {
    fleet,
    async start() {
      const t = await startTestInstance({ ...fleet.env(), AUTH_RATE_LIMIT: '0' }, { clock: new TestClock(), intervals });
      started.push(t);
      return t;
    },
    async close() {
      await Promise.all(started.splice(0).map((t) => t.close()));
      await fleet.cleanup();
    },
  };
}
