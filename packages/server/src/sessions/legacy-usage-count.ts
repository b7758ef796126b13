/** Who still uses sessions, counted per user and client. */

/** Session-authenticated requests of one user from one client, over a period. */
export interface LegacyUsageCount {
  userId: string;
  /** The User-Agent header; empty when the client sent none. */
  userAgent: string;
  firstSeen: number;
  lastSeen: number;
  requestCount: number;
}

export interface LegacyUsageRecord extends LegacyUsageCount {
  /** null if the user no longer exists. */
  username: string | null;
}
