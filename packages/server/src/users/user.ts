/** Users as stored; the password hash never leaves the server. */

export interface UserRecord {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  /** Where Tessera can write to the user (set by an operator, the user, an import or the lazy migration); null when unknown. */
  email: string | null;
  /**
   * Since when `email` is known to be the user's: set when an operator, an import or the lazy migration
   * gives it (they vouch for it) or when the user opens the confirmation link; null while a user-set
   * address is unconfirmed. Tessera mails only verified addresses.
   */
  emailVerifiedAt: number | null;
  createdAt: number;
  updatedAt: number;
  disabledAt: number | null;
}

export type PublicUser = Omit<UserRecord, 'passwordHash'>;

/** Whether the user has an address Tessera may write to: one that is set and known to be theirs. */
export const hasVerifiedEmail = (user: Pick<UserRecord, 'email' | 'emailVerifiedAt'>): boolean => user.email !== null && user.emailVerifiedAt !== null;

export interface NewUser {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  email?: string | null;
  createdAt: number;
}

/** A change an import makes to a user it read before: applied only if the password hash is still the one read. */
export interface ImportedUserUpdate {
  id: string;
  role: string;
  /** Undefined: the line named none, and the user's address and its confirmation are left as they are. */
  email: string | null | undefined;
  passwordHash: string;
  expectedPasswordHash: string;
}

/** One batch of an import (`users/user-import.ts`), written in one transaction. */
export interface UserImportBatch {
  /** New users; a name someone took since it was read is left alone. */
  create: NewUser[];
  update: ImportedUserUpdate[];
}

/** How many rows of a batch were written; the rest changed underneath the import and were left alone. */
export interface UserImportWritten {
  created: number;
  updated: number;
  /** The users of `update` whose row was written. */
  updatedIds: string[];
}

export interface UserPatch {
  role?: string;
  passwordHash?: string;
  disabledAt?: number | null;
  /** A new address; unless `emailVerifiedAt` says otherwise it starts unverified. */
  email?: string | null;
  emailVerifiedAt?: number | null;
}

export interface Page {
  limit: number;
  offset: number;
}

/** One page of the user list and the number of users in all. Shared between callers: never modified. */
export interface UserPage {
  readonly users: readonly PublicUser[];
  readonly total: number;
}
