import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { legacyNoticeMessage } from '../mail/legacy-notice-message.js';
import type { Mailer } from '../mail/smtp-mailer.js';
import type { LegacyUsageRecord } from '../sessions/legacy-usage-count.js';
import type { LegacyUsage } from '../sessions/legacy-usage.js';
import type { Store } from '../store/store.js';
import { parseEmailAddress } from '../users/email-address.js';
import type { UserRecord } from '../users/user.js';
import type { Actor } from './actor.js';

/**
 * What became of one session user in a run: told now, before, or why not. `unverified`: the user set the
 * address themselves and has not confirmed it; `invalid_email`: the stored address is not one the account
 * API would accept (written by older code), so nothing is sent to it.
 */
export type NoticeOutcome = 'sent' | 'would_send' | 'already_told' | 'no_email' | 'unverified' | 'invalid_email' | 'disabled' | 'not_sent';

export interface NoticeResult {
  userId: string;
  username: string;
  email: string | null;
  /** The User-Agents of their sessions ('' for none), most recently seen first. */
  clients: string[];
  outcome: NoticeOutcome;
  /** Why the mail server did not take the message (`not_sent`). */
  error?: string;
}

export interface NoticeRun {
  sunset: number;
  dryRun: boolean;
  results: NoticeResult[];
}

export interface LegacyNoticesOptions {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  legacyUsage: LegacyUsage;
  /** When sessions stop working (SESSIONS_SUNSET): a notice is per user and per this date. */
  sunset: number;
  /** The migration guide as an absolute URL. */
  guideUrl: string;
  /** PUBLIC_URL. */
  serviceUrl: string;
}

const DAY_MS = 86_400_000;

/** nodemailer's codes for a refusal of this one message; any other failure means the server is unusable. */
const MESSAGE_REFUSED = new Set(['EENVELOPE', 'EMESSAGE']);

/**
 * `tessera legacy-usage notify`: one email to each user still on sessions, naming their clients (by
 * parsed name), the sunset date and the migration guide — only to a verified address that the account
 * API's parser still accepts. A user gets the notice of a sunset date at most once: it is
 * claimed in the store before it is sent, and the claim is released if the mail server refuses it.
 */
export class LegacyNotices {
  constructor(private readonly options: LegacyNoticesOptions) {}

  /** Tells the session users of the last `days` days; a dry run (no `mailer`) sends and records nothing. */
  async notify(request: { days: number; mailer?: Mailer; actor: Actor }): Promise<NoticeRun> {
    const { store, clock, sunset } = this.options;
    const dryRun = request.mailer === undefined;
    const usage = await this.options.legacyUsage.list(clock.now() - request.days * DAY_MS);
    const told = new Set((await store.legacyNotices.list(sunset)).map((notice) => notice.userId));
    const results: NoticeResult[] = [];
    let serverFailure: string | undefined;
    for (const [userId, clients] of clientsByUser(usage)) {
      const user = await store.users.findById(userId);
      if (!user) continue;
      const result: NoticeResult = { userId, username: user.username, email: user.email, clients, outcome: 'would_send' };
      results.push(result);
      if (told.has(userId)) result.outcome = 'already_told';
      else if (user.disabledAt !== null) result.outcome = 'disabled';
      else if (user.email === null) result.outcome = 'no_email';
      else if (!acceptable(user.email)) result.outcome = 'invalid_email';
      else if (user.emailVerifiedAt === null) result.outcome = 'unverified';
      else if (serverFailure !== undefined) Object.assign(result, { outcome: 'not_sent', error: serverFailure });
      else if (request.mailer) serverFailure = await this.send(user, user.email, result, request.mailer, request.actor);
    }
    return { sunset, dryRun, results };
  }

  /** Sends one notice; returns the reason when the mail server itself failed (later users are not tried). */
  private async send(user: UserRecord, email: string, result: NoticeResult, mailer: Mailer, actor: Actor): Promise<string | undefined> {
    const { store, clock, sunset, guideUrl, serviceUrl } = this.options;
    if (!(await store.legacyNotices.claim({ userId: user.id, sunset, email, sentAt: clock.now() }))) {
      result.outcome = 'already_told';
      return undefined;
    }
    try {
      await mailer.send(legacyNoticeMessage({ username: user.username, to: email, clients: result.clients, sunset, guideUrl, serviceUrl }));
    } catch (error) {
      await store.legacyNotices.release(user.id, sunset);
      const reason = error instanceof Error ? error.message : String(error);
      Object.assign(result, { outcome: 'not_sent', error: reason });
      return MESSAGE_REFUSED.has((error as { code?: string }).code ?? '') ? undefined : reason;
    }
    result.outcome = 'sent';
    this.options.audit.record({
      type: 'legacy.notice_sent',
      userId: user.id,
      actor: actor.id,
      client: actor.client,
      detail: { sunset: new Date(sunset).toISOString(), clients: result.clients.length },
    });
    return undefined;
  }
}

/** Whether the account API would take `email` as it is: anything older code stored otherwise is never mailed. */
function acceptable(email: string): boolean {
  try {
    return parseEmailAddress(email) === email;
  } catch {
    return false;
  }
}

/** The users in `usage` (most recently seen first) with their clients, most recently seen first. */
function clientsByUser(usage: readonly LegacyUsageRecord[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const record of usage) {
    if (record.username === null) continue;
    const clients = users.get(record.userId) ?? [];
    if (!clients.includes(record.userAgent)) clients.push(record.userAgent);
    users.set(record.userId, clients);
  }
  return users;
}
