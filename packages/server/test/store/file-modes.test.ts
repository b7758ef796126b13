import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { developmentSecretPath } from '../../src/secrets.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createUser, startTestInstance, testEnv, type TestInstance } from '../support/tessera.js';

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('files holding secrets', () => {
  let umask: number;
  let t: TestInstance;
  beforeAll(async () => {
    umask = process.umask(0o022); // the usual umask, under which files are world-readable by default
    t = await startTestInstance({ NODE_ENV: 'development', JWT_SECRET: '' });
    await createUser(t.tessera, 'wal-writer');
  });
  afterAll(async () => {
    await t.close();
    process.umask(umask);
  });

  it('creates the SQLite database and its WAL readable and writable by their owner only', () => {
    const database = join(t.dir, 'tessera.db');
    expect(existsSync(`${database}-wal`)).toBe(true);
    expect(modeOf(database).toString(8)).toBe('600');
    expect(modeOf(`${database}-wal`).toString(8)).toBe('600');
    expect(modeOf(`${database}-shm`).toString(8)).toBe('600');
  });

  it('creates the development secret readable and writable by its owner only', () => {
    expect(modeOf(developmentSecretPath(t.config)).toString(8)).toBe('600');
  });

  it('narrows a database file an earlier version left world-readable', async () => {
    const { dir } = testEnv();
    const database = join(dir, 'old.db');
    writeFileSync(database, '');
    chmodSync(database, 0o644);
    const store = new SqliteStore(database);
    await store.migrate();
    await store.close();
    expect(modeOf(database).toString(8)).toBe('600');
  });
});
