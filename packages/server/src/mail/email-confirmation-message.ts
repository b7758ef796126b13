import type { MailMessage } from './smtp-mailer.js';

export interface EmailConfirmationContent {
  to: string;
  /** The link that confirms the address: the account page with the token in its fragment. */
  link: string;
  /** Where Tessera is reached (PUBLIC_URL), to name the service in words. */
  serviceUrl: string;
  /** How long the link works, in hours. */
  hours: number;
}

/**
 * The message asking whoever reads `to` to confirm it is theirs. Everything in it comes from the
 * configuration and the token: nothing the user typed (not even their username), so the mail cannot
 * carry a stranger's words to the address.
 */
export function emailConfirmationMessage(content: EmailConfirmationContent): MailMessage {
  const host = new URL(content.serviceUrl).host;
  return {
    to: content.to,
    subject: `Confirm your email address at ${host}`,
    text: [
      `An account at ${host} asked to use this address for its notices.`,
      '',
      'If it is yours, open this link while signed in to that account to confirm the address:',
      content.link,
      '',
      `The link works once, within ${content.hours} hours. If you did not ask for this, ignore this message: nothing is sent to this address until it is confirmed.`,
      '',
    ].join('\n'),
  };
}
