import { describeClient } from './client-description.js';
import type { MailMessage } from './smtp-mailer.js';

export interface LegacyNoticeContent {
  username: string;
  to: string;
  /** The User-Agents the user's sessions came from ('' for a client that sent none); only their parsed names reach the message. */
  clients: readonly string[];
  /** When sessions stop working, epoch milliseconds. */
  sunset: number;
  /** The migration guide, as an absolute URL. */
  guideUrl: string;
  /** Where Tessera is reached (PUBLIC_URL), to name the service in words. */
  serviceUrl: string;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The notice that a user's session sign-in ends: which clients, the sunset date, and the guide. Plain text. */
export function legacyNoticeMessage(notice: LegacyNoticeContent): MailMessage {
  const host = new URL(notice.serviceUrl).host;
  const sunset = dayOf(notice.sunset);
  // Named in words by the parser, never quoted: a User-Agent is text anyone can make the mail carry.
  const clients = [...new Set(notice.clients.map(describeClient))].map((client) => `  - ${client}`);
  return {
    to: notice.to,
    subject: `Sign-in with sessions at ${host} ends on ${sunset}`,
    text: [
      `Hello ${notice.username},`,
      '',
      `Your account still signs in to ${host} with a session cookie, the old way.`,
      `Sessions stop working on ${sunset} (UTC); after that day these clients are refused:`,
      '',
      ...clients,
      '',
      'Move them to JSON Web Tokens before then. The migration guide says how:',
      notice.guideUrl,
      '',
      'You get this message once for this date.',
      '',
    ].join('\n'),
  };
}
