import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { storeContract } from './contract.js';

storeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
  const store = new SqliteStore(join(dir, 'tessera.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite user pages', () => {
  it('shows a user created through another connection to the same file (a CLI command beside the server)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const server = new SqliteStore(join(dir, 'tessera.db'));
    const cli = new SqliteStore(join(dir, 'tessera.db'));
    try {
      await server.migrate();
      const user = (username: string) => ({ id: `id-${username}`, username, role: 'user', passwordHash: 'h', createdAt: 1 });
      await server.users.create(user('ada'));
      expect((await server.users.list({ limit: 10, offset: 0 })).users.map((u) => u.username)).toEqual(['ada']);
      await cli.users.create(user('bob'));
      const page = await server.users.list({ limit: 10, offset: 0 });
      expect(page.users.map((u) => u.username)).toEqual(['ada', 'bob']);
      expect(page.total).toBe(2);
    } finally {
      await cli.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows at once a user created through a connection that names the file by a symbolic link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    const server = new SqliteStore(join(dir, 'tessera.db'));
    try {
      await server.migrate();
      symlinkSync(join(dir, 'tessera.db'), join(dir, 'link.db'));
      const cli = new SqliteStore(join(dir, 'link.db'));
      const user = (username: string) => ({ id: `id-${username}`, username, role: 'user', passwordHash: 'h', createdAt: 1 });
      await server.users.create(user('ada'));
      expect((await server.users.list({ limit: 10, offset: 0 })).users.map((u) => u.username)).toEqual(['ada']);
      await cli.users.create(user('bob'));
      expect((await server.users.list({ limit: 10, offset: 0 })).users.map((u) => u.username)).toEqual(['ada', 'bob']);
      await cli.close();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
