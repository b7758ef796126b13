/** Access tokens revoked before their expiry, as the revocation feed carries them. */

export interface RevokedAccessToken {
  jti: string;
  userId: string;
  expiresAt: number;
}

export interface RevocationBatch {
  entries: RevokedAccessToken[];
  /** Pass back to receive only what was revoked after this batch. */
  cursor: number;
}
