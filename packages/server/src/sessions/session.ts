/** Legacy cookie sessions as stored. */

import type { PublicUser } from '../users/user.js';
/** A legacy cookie session. The cookie value is never stored: `id` is its SHA-256. */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  /** Last request seen, recorded coarsely (at most about once a minute) so requests do not write. */
  lastSeenAt: number;
  /** The absolute end, SESSION_MAX_AGE after login, however active the session is. */
  expiresAt: number;
  /** Logged out or exchanged for tokens; null while open. */
  endedAt: number | null;
  ip: string | null;
  userAgent: string | null;
}

export type NewSession = Omit<SessionRecord, 'lastSeenAt' | 'endedAt'> & {
  /** As `NewFamily.authenticatedAt`: refused with `CredentialsChangedError` if the user's valid-after is not before it. */
  authenticatedAt?: number;
};

/** A session together with its user, as one lookup returns them. */
export interface SessionLookup {
  session: SessionRecord;
  user: PublicUser;
}
