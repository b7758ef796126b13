import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import type { Actor } from '../admin/actor.js';
import type { Clock } from '../clock.js';
import { UnusableHashError } from '../errors.js';
import { readImportedHash, type HashSchemeName } from '../passwords/imported-hashes.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store } from '../store/store.js';
import type { ImportedUserUpdate, NewUser, UserRecord } from './user.js';
import { USERNAME_PATTERN, USER_ROLE_RULE, isUserRole, normalizeUsername } from './username.js';
import { checkEmailAddress } from './email-address.js';

/** One user as read from an import file or the admin API's bulk form, before it is checked. */
export interface ImportRecord {
  /** Where it came from: the line of a file, or the 1-based position in the API's `users` array. */
  position: number;
  fields: Record<string, unknown>;
}

/** Something that could not be read as a record at all (a line that is not JSON, a broken CSV row). */
export interface UnreadableRecord {
  position: number;
  reason: string;
}

export interface ImportRejection {
  position: number;
  username: string | null;
  reason: string;
}

export interface ImportReport {
  dryRun: boolean;
  /** New users (or, in a dry run, users that would be new). */
  created: number;
  updated: number;
  unchanged: number;
  /**
   * Users already in Tessera who have a password of Tessera's own (they logged in since an earlier import
   * and were re-hashed, or reset it): the import changes their role and email but keeps their password.
   */
  keptPassword: number;
  /**
   * Existing users whose imported password hash the file replaced (their password changed where it came
   * from): signed out everywhere, as after a password change, since the old password no longer holds.
   */
  signedOut: number;
  /** Users that changed between reading and writing (a login re-hashed them, another import): run the import again. */
  changedMeanwhile: number;
  /** Accepted users per hash scheme. */
  schemes: Partial<Record<HashSchemeName, number>>;
  rejected: ImportRejection[];
}

interface CheckedUser {
  position: number;
  username: string;
  /** Undefined when the line names none: `user` for a new user, an existing user's own role kept. */
  role: string | undefined;
  /** Undefined when the line names none (absent or empty): none for a new user, an existing user's kept; null removes it. */
  email: string | null | undefined;
  scheme: HashSchemeName;
  passwordHash: string;
}

export interface UserImportOptions {
  store: Store;
  passwords: PasswordHasher;
  revoker: Revoker;
  audit: AuditLog;
  clock: Clock;
  /** Users read and written per transaction. */
  batchSize?: number;
}


/**
 * Brings users over from another system with the password hashes it has (`tessera users import`, and
 * `POST /admin/users/import`). Keyed by username: running it again updates, never duplicates. A dry run
 * reads and checks everything and writes nothing.
 */
export class UserImport {
  constructor(private readonly options: UserImportOptions) {}

  async run(
    records: AsyncIterable<ImportRecord | UnreadableRecord> | Iterable<ImportRecord | UnreadableRecord>,
    settings: { dryRun: boolean; actor: Actor; source: string },
  ): Promise<ImportReport> {
    const report: ImportReport = {
      dryRun: settings.dryRun, created: 0, updated: 0, unchanged: 0, keptPassword: 0, signedOut: 0, changedMeanwhile: 0, schemes: {}, rejected: [],
    };
    const seen = new Map<string, number>();
    let batch: CheckedUser[] = [];
    const batchSize = this.options.batchSize ?? 1000;
    for await (const record of records) {
      const checked = this.check(record, seen, report);
      if (!checked) continue;
      batch.push(checked);
      if (batch.length >= batchSize) {
        await this.write(batch, report, settings.actor);
        batch = [];
      }
    }
    if (batch.length > 0) await this.write(batch, report, settings.actor);
    if (!settings.dryRun) this.audit(report, settings.actor, settings.source);
    return report;
  }

  /** The user to write, or undefined with the reason added to `report.rejected`. */
  private check(record: ImportRecord | UnreadableRecord, seen: Map<string, number>, report: ImportReport): CheckedUser | undefined {
    const reject = (username: string | null, reason: string) => {
      report.rejected.push({ position: record.position, username, reason });
      return undefined;
    };
    if ('reason' in record) return reject(null, record.reason);
    const { username: rawName, role, email, password_hash: rawHash } = record.fields;
    if (typeof rawName !== 'string' || rawName.trim() === '') return reject(null, 'username is missing');
    const username = normalizeUsername(rawName);
    if (!USERNAME_PATTERN.test(username)) {
      return reject(rawName, 'username must be 1–64 characters: letters, digits and . _ @ + - (starting with a letter or digit)');
    }
    const earlier = seen.get(username);
    if (earlier !== undefined) return reject(username, `duplicate username (first at ${earlier})`);
    const roleText = role === '' || role === undefined || role === null ? undefined : role;
    if (roleText !== undefined && (typeof roleText !== 'string' || !isUserRole(roleText))) return reject(username, USER_ROLE_RULE);
    // The account API's rule (zod's address check, at most 254 characters): one address, nothing around it.
    // Absent or empty: nothing to change (none for a new user); null removes an address.
    let emailText: string | null | undefined = email === null ? null : undefined;
    if (email !== undefined && email !== null && email !== '') {
      emailText = typeof email === 'string' ? checkEmailAddress(email) : undefined;
      if (emailText === undefined) return reject(username, 'email is not an email address');
    }
    if (typeof rawHash !== 'string') return reject(username, 'password_hash is missing');
    try {
      const { scheme, stored } = readImportedHash(rawHash);
      seen.set(username, record.position);
      return { position: record.position, username, role: roleText, email: emailText, scheme, passwordHash: stored };
    } catch (error) {
      if (error instanceof UnusableHashError) return reject(username, error.message);
      throw error;
    }
  }

  private async write(batch: CheckedUser[], report: ImportReport, actor: Actor): Promise<void> {
    const { store, clock } = this.options;
    const existing = new Map((await store.users.findByUsernames(batch.map((u) => u.username))).map((u) => [u.username, u]));
    const create: NewUser[] = [];
    const update: ImportedUserUpdate[] = [];
    const roleChanged: string[] = [];
    const passwordChanged = new Set<string>();
    const now = clock.now();
    for (const user of batch) {
      const current = existing.get(user.username);
      // The admin API's rule: an admin cannot change their own role (nor, on a one-admin install, leave none).
      if (current && current.id === actor.id && user.role !== undefined && user.role !== current.role) {
        report.rejected.push({ position: user.position, username: user.username, reason: 'You cannot change your own role' });
        continue;
      }
      report.schemes[user.scheme] = (report.schemes[user.scheme] ?? 0) + 1;
      if (!current) {
        create.push({ id: crypto.randomUUID(), username: user.username, role: user.role ?? 'user', email: user.email ?? null, passwordHash: user.passwordHash, createdAt: now });
        continue;
      }
      const change = this.changeOf(current, { ...user, role: user.role ?? current.role }, report);
      if (!change) continue;
      update.push(change);
      if (current.role !== change.role) roleChanged.push(current.id);
      if (change.passwordHash !== current.passwordHash) passwordChanged.add(current.id);
    }
    if (report.dryRun) {
      report.created += create.length;
      report.updated += update.length;
      report.signedOut += passwordChanged.size;
      return;
    }
    const written = await store.users.importBatch({ create, update }, now);
    report.created += written.created;
    report.updated += written.updated;
    report.changedMeanwhile += create.length - written.created + (update.length - written.updated);
    // As `tessera users set-role`: a role change applies at once; the next refresh carries the new role.
    for (const userId of roleChanged) await this.options.revoker.revokeUserAccessTokens(userId);
    // As a password change: whatever the old password reached (a hand-off's login, a session) ends.
    for (const userId of written.updatedIds.filter((id) => passwordChanged.has(id))) {
      await this.options.revoker.revokeUser(userId, 'password_import');
      report.signedOut += 1;
    }
  }

  /** What importing `user` over `current` changes; undefined (counted as unchanged) when nothing. */
  private changeOf(current: UserRecord, user: CheckedUser & { role: string }, report: ImportReport): ImportedUserUpdate | undefined {
    // A password of Tessera's own (a re-hash at login, a reset) is newer than anything exported before it.
    const keepPassword = !this.options.passwords.needsRehash(current.passwordHash) && current.passwordHash !== user.passwordHash;
    const passwordHash = keepPassword ? current.passwordHash : user.passwordHash;
    if (keepPassword) report.keptPassword += 1;
    const sameEmail = user.email === undefined || current.email === user.email;
    if (current.role === user.role && sameEmail && current.passwordHash === passwordHash) {
      report.unchanged += 1;
      return undefined;
    }
    return { id: current.id, role: user.role, email: user.email, passwordHash, expectedPasswordHash: current.passwordHash };
  }

  private audit(report: ImportReport, actor: Actor, source: string): void {
    this.options.audit.record({
      type: 'admin.user.import',
      actor: actor.id,
      client: actor.client,
      detail: {
        source,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        keptPassword: report.keptPassword,
        signedOut: report.signedOut,
        rejected: report.rejected.length,
        schemes: report.schemes,
      },
    });
  }
}

/** The report as the CLI's --json and the admin API show it; `position` is named for where records came from. */
export function importReportJson(report: ImportReport, position: 'line' | 'index') {
  return {
    dry_run: report.dryRun,
    created: report.created,
    updated: report.updated,
    unchanged: report.unchanged,
    kept_password: report.keptPassword,
    signed_out: report.signedOut,
    changed_meanwhile: report.changedMeanwhile,
    schemes: report.schemes,
    rejected: report.rejected.map((r) => ({ [position]: r.position, username: r.username, reason: r.reason })),
  };
}
