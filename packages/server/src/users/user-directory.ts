import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { Store } from '../store/store.js';
import type { Page, UserPage, UserRecord } from '../users/user.js';
import { parseEmailAddress } from './email-address.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN, USER_ROLE_RULE, isUserRole, normalizeUsername } from './username.js';

export interface NewAccount {
  username: string;
  password: string;
  role: string;
  /** Optional; checked by `parseEmailAddress`. */
  email?: string | null;
}

/** Creates and finds user accounts, enforcing the username, role and password rules. */
export class UserDirectory {
  constructor(
    private readonly store: Store,
    private readonly passwords: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async create(account: NewAccount): Promise<UserRecord> {
    const username = normalizeUsername(account.username);
    if (!USERNAME_PATTERN.test(username)) {
      throw new TesseraError(
        'invalid_request',
        'username must be 1–64 characters: letters, digits and . _ @ + - (starting with a letter or digit)',
      );
    }
    assertRole(account.role);
    assertPassword(account.password);
    const email = parseEmailAddress(account.email ?? null);
    return this.store.users.create({
      id: crypto.randomUUID(),
      username,
      role: account.role,
      email,
      passwordHash: await this.passwords.hash(account.password),
      createdAt: this.clock.now(),
    });
  }

  list(page: Page): Promise<UserPage> {
    return this.store.users.list(page);
  }
}

export function assertRole(role: string): void {
  if (!isUserRole(role)) throw new TesseraError('invalid_request', USER_ROLE_RULE);
}

export function assertPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new TesseraError(
      'invalid_request',
      `password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}
