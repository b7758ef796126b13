import { createRequire } from 'node:module';

/** One plain-text message. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail; `send` rejects when the server refuses the message or cannot be reached. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface SmtpSettings {
  /** `smtp://host:port` (STARTTLS when the server offers it) or `smtps://user:pass@host:465`. */
  url: string;
  from: string;
}

/** A connection refused or silent for this long counts as "the mail server cannot be reached". */
const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * Mail through an SMTP server with nodemailer: one pooled connection reused for every message of a run,
 * closed by `close`.
 */
export function smtpMailer({ url, from }: SmtpSettings): Mailer {
  // nodemailer is loaded when mail is configured: a server without SMTP_URL never holds it (1.5 MB of heap).
  const { createTransport } = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
  const transport = createTransport({
    url,
    pool: true,
    maxConnections: 1,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: 3 * CONNECTION_TIMEOUT_MS,
  });
  return {
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    close() {
      transport.close();
    },
  };
}
