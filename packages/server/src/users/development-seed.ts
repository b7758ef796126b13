import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store } from '../store/store.js';

/** The demo accounts of development mode, as the seed's test plan uses them. Never in production. */
export const DEVELOPMENT_USERS = [
  { username: 'test', password: 'test123', role: 'user' },
  { username: 'admin', password: 'admin123', role: 'admin' },
] as const;

/** Creates the demo accounts in an empty development database, and says so loudly. */
export async function seedDevelopmentUsers(store: Store, passwords: PasswordHasher, clock: Clock, logger: Logger): Promise<boolean> {
  if ((await store.users.count()) > 0) return false;
  for (const user of DEVELOPMENT_USERS) {
    try {
      await store.users.create({
        id: crypto.randomUUID(),
        username: user.username,
        role: user.role,
        passwordHash: await passwords.hash(user.password),
        createdAt: clock.now(),
      });
    } catch {
      // another instance seeded the same empty database at the same moment
    }
  }
  // Loud, but without the passwords: no log line ever carries one (they are in the README).
  logger.warn(
    { users: DEVELOPMENT_USERS.map(({ username, role }) => `${username} (${role})`) },
    '!!! DEVELOPMENT MODE: seeded demo accounts "test" and "admin" with the well-known passwords from the README — never expose this server; set NODE_ENV=production for real use !!!',
  );
  return true;
}
