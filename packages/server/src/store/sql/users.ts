import { UsernameTakenError } from '../../errors.js';
import type { NewUser, Page, PublicUser, UserImportBatch, UserImportWritten, UserPage, UserPatch, UserRecord } from '../../users/user.js';
import type { UserRepository } from '../store.js';
import { columns, PUBLIC_USER, USER } from './columns.js';
import type { SqlDriver } from './sql-driver.js';

const USER_COLUMNS = columns(USER);
const PUBLIC_USER_COLUMNS = columns(PUBLIC_USER);
/** Distinct pages of the user list kept at once (any limit and offset can be asked for). */
const USER_PAGES_KEPT = 64;
const PATCH_COLUMNS: Record<keyof UserPatch, string> = {
  role: 'role',
  passwordHash: 'password_hash',
  disabledAt: 'disabled_at',
  email: 'email',
  emailVerifiedAt: 'email_verified_at',
};
/** Whoever creates or imports a user is an operator (or the old app): the address they give counts as verified. */
const vouched = (user: NewUser) => (user.email ? user.createdAt : null);

/**
 * Users. Pages of the list are kept (frozen) until the users change: `users_version` is counted up by
 * a trigger on every write to `users`, by any process (a server beside this one, a CLI command, an older
 * version during a rolling deploy), so one cheap read tells whether a kept page is still true. Listing
 * is the hot path of `GET /api/users`; users change rarely.
 *
 * Where the driver counts this process's writes (SQLite), that read is shared by every page listed in
 * the same turn of the event loop while this process writes nothing: the requests of one turn were
 * received before it began, and a write here — through any connection — is seen by the next page listed.
 */
export class SqlUsers implements UserRepository {
  private readonly pages = new Map<string, { version: number; page: UserPage }>();
  /** `users_version` as read in this turn of the event loop, and the driver's write count when it was read. */
  private version: { read: Promise<number>; writes: number } | undefined;

  constructor(private readonly db: SqlDriver) {}

  async create(user: NewUser): Promise<UserRecord> {
    try {
      return (await this.db.get<UserRecord>(
        `INSERT INTO users (id, username, role, password_hash, email, email_verified_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${USER_COLUMNS}`,
        [user.id, user.username, user.role, user.passwordHash, user.email ?? null, vouched(user), user.createdAt, user.createdAt],
      ))!;
    } catch (error) {
      if (this.db.isUniqueViolation(error, 'users', 'username')) throw new UsernameTakenError(user.username);
      throw error;
    }
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.db.get<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
  }

  findByUsername(username: string): Promise<UserRecord | null> {
    return this.db.get<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
  }

  async list(page: Page): Promise<UserPage> {
    // Read before the page: a write in between leaves the page kept under an older version, never a newer one.
    const version = await this.currentVersion();
    const key = `${page.limit}:${page.offset}`;
    const kept = this.pages.get(key);
    if (kept?.version === version) return kept.page;
    const users = await this.db.all<PublicUser>(
      `SELECT ${PUBLIC_USER_COLUMNS} FROM users ORDER BY created_at, id${this.db.byteOrder} LIMIT ? OFFSET ?`,
      [page.limit, page.offset],
    );
    const listed: UserPage = Object.freeze({ users: Object.freeze(users.map((u) => Object.freeze(u))), total: await this.count() });
    if (this.pages.size >= USER_PAGES_KEPT) this.pages.clear();
    this.pages.set(key, { version, page: listed });
    return listed;
  }

  update(id: string, patch: UserPatch, now: number): Promise<UserRecord | null> {
    // A new address is unverified unless the caller says it was vouched for.
    if (patch.email !== undefined && patch.emailVerifiedAt === undefined) patch = { ...patch, emailVerifiedAt: null };
    const changed = (Object.keys(PATCH_COLUMNS) as Array<keyof UserPatch>).filter((field) => patch[field] !== undefined);
    const values = changed.map((field) => patch[field] ?? null);
    const sets = [...changed.map((field) => `${PATCH_COLUMNS[field]} = ?`), 'updated_at = ?'];
    return this.db.get<UserRecord>(`UPDATE users SET ${sets.join(', ')} WHERE id = ? RETURNING ${USER_COLUMNS}`, [
      ...values,
      now,
      id,
    ]);
  }

  verifyEmail(id: string, email: string, now: number): Promise<UserRecord | null> {
    return this.db.get<UserRecord>(`UPDATE users SET email_verified_at = ?, updated_at = ? WHERE id = ? AND email = ? RETURNING ${USER_COLUMNS}`, [
      now,
      now,
      id,
      email,
    ]);
  }

  async findByUsernames(usernames: readonly string[]): Promise<UserRecord[]> {
    const found: UserRecord[] = [];
    for (const name of usernames) {
      const user = await this.findByUsername(name);
      if (user) found.push(user);
    }
    return found;
  }

  importBatch(batch: UserImportBatch, now: number): Promise<UserImportWritten> {
    return this.db.transaction(async (tx) => {
      let created = 0;
      const updatedIds: string[] = [];
      for (const u of batch.create) {
        created += await tx.run(
          `INSERT INTO users (id, username, role, password_hash, email, email_verified_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
          [u.id, u.username, u.role, u.passwordHash, u.email ?? null, vouched(u), u.createdAt, u.createdAt],
        );
      }
      for (const u of batch.update) {
        // The file's address is vouched for by the operator importing it; an unchanged one keeps its instant.
        // A line naming none (`keep` = 1) leaves the address and its confirmation as they are, whatever they are.
        const keep = u.email === undefined ? 1 : 0;
        const email = u.email ?? null;
        const written = await tx.run(
          `UPDATE users SET role = ?, password_hash = ?, updated_at = ?,
             email = CASE WHEN ? = 1 THEN email ELSE ? END,
             email_verified_at = CASE WHEN ? = 1 THEN email_verified_at WHEN CAST(? AS TEXT) IS NULL THEN NULL
               WHEN email = ? AND email_verified_at IS NOT NULL THEN email_verified_at ELSE ? END
           WHERE id = ? AND password_hash = ?`,
          [u.role, u.passwordHash, now, keep, email, keep, email, email, now, u.id, u.expectedPasswordHash],
        );
        if (written > 0) updatedIds.push(u.id);
      }
      return { created, updated: updatedIds.length, updatedIds };
    });
  }

  /** `users_version`, read once per turn of the event loop while this process writes nothing (see above). */
  private currentVersion(): Promise<number> {
    const writes = this.db.writes;
    if (writes !== undefined && this.version?.writes === writes) return this.version.read;
    const read = this.db.get<{ version: number }>('SELECT version FROM users_version').then((row) => row!.version);
    if (writes === undefined) return read;
    const version = (this.version = { read, writes });
    setImmediate(() => {
      if (this.version === version) this.version = undefined;
    });
    return read;
  }

  async count(): Promise<number> {
    return (await this.db.get<{ count: number }>('SELECT COUNT(*) AS count FROM users'))!.count;
  }
}
