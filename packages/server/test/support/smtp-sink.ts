import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A message as the SMTP sink received and parsed it. */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  from: string | null;
  to: string | null;
  subject: string | null;
  text: string | null;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:PORT`, for SMTP_URL. */
  url: string;
  /** Every message received so far, in order. */
  messages: ReceivedMail[];
  stop(): Promise<void>;
}

const SINK = fileURLToPath(new URL('./smtp-sink.mjs', import.meta.url));

/** Starts a real SMTP server (smtp-server) in a child process; it reports what it receives over IPC. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const child: ChildProcess = fork(SINK, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: ReceivedMail[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited with ${code}`)));
    child.on('message', (message: { type: string; port?: number } & ReceivedMail) => {
      if (message.type === 'listening') resolve(message.port!);
      else if (message.type === 'message') messages.push({ envelope: message.envelope, from: message.from, to: message.to, subject: message.subject, text: message.text });
    });
  });
  child.removeAllListeners('exit');
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
