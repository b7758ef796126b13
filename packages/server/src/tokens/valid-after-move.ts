/** Valid-after instants as recorded, and what moving one ended. */

import type { RevokedAccessToken } from './revoked-access-token.js';
/**
 * A "valid after" instant (Keycloak's not-before): every credential issued at or before `at` is refused.
 * `user`: one user's access tokens, refresh tokens and sessions; `all`: everyone's; `key`: every token
 * the signing key `subject` signed, whenever it was issued.
 */
export interface ValidAfterMove {
  scope: 'user' | 'all' | 'key';
  /** The user id, the kid, or '' for `all`. */
  subject: string;
  at: number;
}

export interface ValidAfterBatch {
  moves: ValidAfterMove[];
  /** Pass back to receive only later moves. */
  cursor: number;
}

/** What ending a user's (or everyone's) credentials ended. */
export interface EndedCredentials {
  families: number;
  accessTokens: RevokedAccessToken[];
  sessions: number;
}
