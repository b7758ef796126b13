import { dropSchema, freshSchemaName } from './postgres-schema.js';
import { deleteRedisKeys, freshRedisPrefix } from './redis.js';
import { POSTGRES_URL, REDIS_URL } from './services.js';

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
