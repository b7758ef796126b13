/** Users as stored; the password hash never leaves the server. */

export interface UserRecord {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
  disabledAt: number | null;
}

export type PublicUser = Omit<UserRecord, 'passwordHash'>;

export interface NewUser {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  createdAt: number;
}

export interface UserPatch {
  role?: string;
  passwordHash?: string;
  disabledAt?: number | null;
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
