import { useState } from 'preact/hooks';
import { explain, type TesseraApi } from '../shared/tessera-api.js';

/** Your address as `/api/me/account` and `/api/me/email` answer it. */
export interface EmailState {
  email: string | null;
  verified: boolean;
}

export type Message = { ok: boolean; text: string };

type Confirmation = 'sent' | 'mail_not_configured' | 'not_sent';
interface EmailAnswer {
  email: string | null;
  email_verified: boolean;
  email_confirmation?: Confirmation;
}

const CONFIRMATION_TEXT: Record<Confirmation, string> = {
  sent: 'We sent a confirmation link to it: open it while signed in here.',
  mail_not_configured: 'This server sends no email, so the address cannot be confirmed until your operator configures mail (or sets the address for you).',
  not_sent: 'The mail server did not take the confirmation message; send the link again later.',
};

/**
 * Your email address (where Tessera sends notices): set or remove it, confirmed with your password. A
 * new address is unverified until you open the link mailed to it; the card says so and sends it again.
 */
export function EmailChange({
  api,
  address,
  notice,
  onChanged,
}: {
  api: TesseraApi;
  address: EmailState;
  /** What opening a confirmation link did, when the page was opened from one. */
  notice?: Message;
  onChanged: (address: EmailState) => void;
}) {
  const [message, setMessage] = useState<Message | undefined>(notice);
  const [busy, setBusy] = useState(false);
  const answered = (data: EmailAnswer) => {
    onChanged({ email: data.email, verified: data.email_verified });
    return data.email_confirmation === undefined ? '' : ` ${CONFIRMATION_TEXT[data.email_confirmation]}`;
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    const typed = String(fields.get('email')).trim();
    try {
      const { data } = await api.call<EmailAnswer>('PUT', '/api/me/email', {
        password: String(fields.get('password')),
        email: typed === '' ? null : typed,
      });
      (form.elements.namedItem('password') as HTMLInputElement).value = '';
      const said = answered(data);
      setMessage({ ok: true, text: data.email === null ? 'Email address removed.' : `Email address set to ${data.email}.${said}` });
    } catch (failure) {
      setMessage({ ok: false, text: explain(failure) === 'Wrong username or password.' ? 'The password is wrong.' : explain(failure) });
    }
  };
  const resend = async () => {
    setBusy(true);
    try {
      const { data } = await api.call<EmailAnswer>('POST', '/api/me/email/confirmation');
      setMessage({ ok: data.email_confirmation === 'sent', text: answered(data).trim() });
    } catch (failure) {
      setMessage({ ok: false, text: explain(failure) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="email-title">
      <h2 id="email-title">Email address</h2>
      <p class="muted">Where Tessera writes to you, for example before your sign-in method stops working. Leave it empty to remove it.</p>
      {address.email !== null && !address.verified && (
        <p class="notice unverified">
          <strong>{address.email}</strong> is unverified — check your inbox for the confirmation link. Nothing is sent there until you open it.{' '}
          <button type="button" class="secondary" onClick={resend} disabled={busy}>
            Send the link again
          </button>
        </p>
      )}
      <label>
        Email
        <input name="email" type="email" autocomplete="email" defaultValue={address.email ?? ''} />
      </label>
      <label>
        Your password
        <input name="password" type="password" autocomplete="current-password" required />
      </label>
      {message && (
        <p class={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <button type="submit">Save email</button>
    </form>
  );
}
