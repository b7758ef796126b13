import { hash } from '@node-rs/argon2';
import { SqliteStore } from '../../packages/server/src/store/sqlite/sqlite-store.js';
import { OWASP_ARGON2ID } from '../../packages/server/src/passwords/password-hasher.js';

export const BENCH_PASSWORD = 'bench-password-123';
export const benchUsername = (i: number) => `bench-user-${i}`;

/**
 * Creates `count` accounts in a fresh SQLite database before the server starts. They share one real
 * argon2id hash (OWASP parameters), so logins cost what they cost in production while seeding 50,000
 * accounts takes seconds instead of the 15 minutes 50,000 separate hashes would.
 */
export async function seedUsers(path: string, count: number): Promise<void> {
  const store = new SqliteStore(path);
  try {
    await store.migrate();
    const passwordHash = await hash(BENCH_PASSWORD, { algorithm: 2 as never, ...OWASP_ARGON2ID });
    const createdAt = Date.now();
    for (let i = 0; i < count; i += 1) {
      await store.users.create({ id: crypto.randomUUID(), username: benchUsername(i), role: 'user', passwordHash, createdAt: createdAt + i });
    }
  } finally {
    await store.close();
  }
}
