// A real SMTP server in a process of its own (smtp-server), for the tests of mail Tessera sends. It tells
// its parent its port, then every message it accepts, parsed (mailparser), over the IPC channel.
// Recipients whose address starts with "refused" get 550, as a server refusing a mailbox would answer.
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  authOptional: true,
  // Plain SMTP on loopback: no STARTTLS offered, so the client does not try a certificate the test lacks.
  disabledCommands: ['STARTTLS'],
  logger: false,
  onRcptTo(address, _session, callback) {
    if (address.address.startsWith('refused')) {
      const error = new Error('mailbox unavailable');
      error.responseCode = 550;
      return callback(error);
    }
    callback();
  },
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        process.send?.({
          type: 'message',
          envelope: { from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address) },
          from: mail.from?.text ?? null,
          to: Array.isArray(mail.to) ? mail.to.map((t) => t.text).join(', ') : (mail.to?.text ?? null),
          subject: mail.subject ?? null,
          text: mail.text ?? null,
        });
        callback();
      })
      .catch(callback);
  },
});

server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: server.server.address().port }));
process.on('disconnect', () => server.close(() => process.exit(0)));
