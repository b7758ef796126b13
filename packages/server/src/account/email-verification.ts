import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import { emailConfirmationMessage } from '../mail/email-confirmation-message.js';
import type { Mailer } from '../mail/smtp-mailer.js';
import type { Store } from '../store/store.js';
import { hashToken } from '../tokens/refresh-tokens.js';
import type { UserRecord } from '../users/user.js';

/** How long a confirmation link works. */
export const CONFIRMATION_HOURS = 24;
const HOUR_MS = 3_600_000;

/**
 * What became of the confirmation mail: `sent`; `mail_not_configured` (no SMTP_URL/MAIL_FROM: the address
 * stays unverified until an operator configures mail or vouches for it); `not_sent` (the mail server
 * refused or could not be reached: ask again later).
 */
export type ConfirmationMail = 'sent' | 'mail_not_configured' | 'not_sent';

export interface EmailVerificationOptions {
  store: Store;
  clock: Clock;
  /** The SMTP mailer when SMTP_URL and MAIL_FROM are set. */
  mailer: Mailer | undefined;
  /** PUBLIC_URL: the link points at its account page. */
  serviceUrl: string;
}

const refused = (description: string) => new TesseraError('invalid_request', description);

/**
 * Confirms that an address a user set for themselves is theirs: a random single-use token (only its
 * SHA-256 is stored, as for refresh tokens), valid 24 hours, bound to the user and the address, mailed
 * as a link to the account page. Until it is opened by that user, signed in, Tessera mails nothing else there.
 */
export class EmailVerification {
  constructor(private readonly options: EmailVerificationOptions) {}

  /** Whether a confirmation link is mailed at all (SMTP is configured). */
  get sendsMail(): boolean {
    return this.options.mailer !== undefined;
  }

  /**
   * Mails a new link for the user's current, unverified address; any link mailed before stops working.
   * `beforeMail` runs only when a mail is about to go (the address can be confirmed, and SMTP is
   * configured): where a budget of mails is spent, and may refuse.
   */
  async start(user: UserRecord, beforeMail: () => Promise<void> = async () => {}): Promise<ConfirmationMail> {
    const { store, clock, mailer, serviceUrl } = this.options;
    if (user.email === null) throw new TesseraError('conflict', 'You have no email address to confirm; set one first');
    if (user.emailVerifiedAt !== null) throw new TesseraError('conflict', 'Your email address is already confirmed');
    if (mailer !== undefined) await beforeMail();
    await store.emailConfirmations.remove(user.id);
    if (mailer === undefined) return 'mail_not_configured';
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    await store.emailConfirmations.put({ userId: user.id, email: user.email, tokenHash: hashToken(token), createdAt: now, expiresAt: now + CONFIRMATION_HOURS * HOUR_MS });
    const link = new URL(`/account#confirm-email=${token}`, serviceUrl).href;
    try {
      await mailer.send(emailConfirmationMessage({ to: user.email, link, serviceUrl, hours: CONFIRMATION_HOURS }));
      return 'sent';
    } catch {
      await store.emailConfirmations.remove(user.id);
      return 'not_sent';
    }
  }

  /** Marks the address verified if `token` is this user's pending link, unexpired, for their current address. */
  async confirm(user: UserRecord, token: string): Promise<UserRecord> {
    const { store, clock } = this.options;
    const pending = await store.emailConfirmations.take(hashToken(token), user.id);
    if (!pending) throw refused('This confirmation link is not valid for your account: it was used, replaced by a newer one, or never issued');
    const now = clock.now();
    if (pending.expiresAt <= now) throw refused(`This confirmation link has expired (links work ${CONFIRMATION_HOURS} hours); ask for a new one`);
    const verified = await store.users.verifyEmail(user.id, pending.email, now);
    if (!verified) throw refused('Your email address changed since this link was sent; confirm the new one with the link sent to it');
    return verified;
  }

  /** Forgets the user's pending link (their address changed or was removed). */
  async cancel(userId: string): Promise<void> {
    await this.options.store.emailConfirmations.remove(userId);
  }
}
