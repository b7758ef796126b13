import type { Command } from 'commander';
import { CLI_ACTOR } from '../../admin/actor.js';
import type { NoticeResult, NoticeRun } from '../../admin/legacy-notices.js';
import { smtpMailer } from '../../mail/smtp-mailer.js';
import { withOperations } from '../context.js';
import { CliError, type CliIo } from '../io.js';
import { integerOption } from '../options.js';
import { printRows } from '../output.js';

const OUTCOME_TEXT: Record<NoticeResult['outcome'], string> = {
  sent: 'sent',
  would_send: 'would send',
  already_told: 'told before',
  no_email: 'no email address',
  unverified: 'address not confirmed by the user',
  invalid_email: 'stored address is not a valid email address',
  disabled: 'disabled: not told',
  not_sent: 'not sent',
};

/** `tessera legacy-usage notify`: one email per user still on sessions, never twice for a sunset date. */
export function registerLegacyNotify(legacyUsage: Command, io: CliIo): Command {
  return legacyUsage
    .command('notify')
    .description(
      'email each user still on sessions (last N days) once: their clients, the sunset date and the migration guide; exits 1 if the mail server refused any message',
    )
    .option('--days <n>', 'users whose sessions were seen in the last N days', integerOption('--days', 1, 3650), 30)
    .option('--dry-run', 'send and record nothing: list who would be told')
    .option('--json', 'print JSON')
    .action(async (options: { days: number; dryRun?: boolean; json?: boolean }) => {
      const run = await withOperations(io, async (t) => {
        const { smtpUrl, from } = t.config.mail;
        if (options.dryRun) return t.admin.legacyNotices.notify({ days: options.days, actor: CLI_ACTOR });
        if (smtpUrl === undefined || from === undefined) {
          throw new CliError(
            `${smtpUrl === undefined ? 'SMTP_URL' : 'MAIL_FROM'} is not set, so nothing was sent: set SMTP_URL (smtp://host:587 or smtps://user:password@host:465) and MAIL_FROM (Example Auth <auth@example.com>), or use --dry-run to see who would be told`,
          );
        }
        const mailer = smtpMailer({ url: smtpUrl, from });
        try {
          return await t.admin.legacyNotices.notify({ days: options.days, mailer, actor: CLI_ACTOR });
        } finally {
          mailer.close();
        }
      });
      print(io, run, Boolean(options.json));
      const notSent = run.results.filter((r) => r.outcome === 'not_sent').length;
      if (notSent > 0) throw new CliError(`the mail server did not take ${notSent} message(s); run the command again to retry them (nobody is told twice)`);
    });
}

function print(io: CliIo, run: NoticeRun, json: boolean): void {
  const sunset = new Date(run.sunset).toISOString().slice(0, 10);
  if (json) {
    const users = run.results.map((r) => ({
      username: r.username,
      user_id: r.userId,
      email: r.email,
      clients: r.clients.map((c) => (c === '' ? null : c)),
      outcome: r.outcome,
      ...(r.error === undefined ? {} : { error: r.error }),
    }));
    io.stdout.write(JSON.stringify({ sunset, dry_run: run.dryRun, users }, null, 2) + '\n');
    return;
  }
  const rows = run.results.map((r) => ({
    username: r.username,
    email: r.email,
    clients: r.clients.map((c) => (c === '' ? '(no User-Agent)' : c)).join(', '),
    outcome: r.error === undefined ? OUTCOME_TEXT[r.outcome] : `${OUTCOME_TEXT[r.outcome]}: ${r.error}`,
  }));
  printRows(io, rows, ['username', 'email', 'clients', 'outcome'], false);
  io.stdout.write(summary(run, sunset) + '\n');
}

function summary(run: NoticeRun, sunset: string): string {
  const count = (outcome: NoticeResult['outcome']) => run.results.filter((r) => r.outcome === outcome).length;
  const unreachable = count('no_email') + count('unverified') + count('invalid_email') + count('not_sent');
  const head = run.dryRun ? `dry run, nothing sent: ${count('would_send')} would be told` : `${count('sent')} told`;
  return `${head} that sessions end on ${sunset}; ${count('already_told')} told before; ${unreachable} could not be reached (${count('no_email')} without an email address, ${count('unverified')} with an unconfirmed address, ${count('invalid_email')} with an invalid address, ${count('not_sent')} refused by the mail server)`;
}
