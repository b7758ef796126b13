/**
 * A pending confirmation of a user's email address: the link Tessera mailed to it. One per user; it
 * names the address it confirms, so changing the address again makes it useless. The token itself is
 * never stored, only its SHA-256.
 */
export interface EmailConfirmationRecord {
  userId: string;
  email: string;
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
}
