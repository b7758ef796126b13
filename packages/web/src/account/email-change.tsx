import { useState } from 'preact/hooks';
import { explain, type TesseraApi } from '../shared/tessera-api.js';

/** Your email address (where Tessera sends notices): set or remove it, confirmed with your password. */
export function EmailChange({ api, email, onChanged }: { api: TesseraApi; email: string | null; onChanged: (email: string | null) => void }) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    const address = String(fields.get('email')).trim();
    try {
      const { data } = await api.call<{ email: string | null }>('PUT', '/api/me/email', {
        password: String(fields.get('password')),
        email: address === '' ? null : address,
      });
      (form.elements.namedItem('password') as HTMLInputElement).value = '';
      onChanged(data.email);
      setMessage({ ok: true, text: data.email === null ? 'Email address removed.' : `Email address set to ${data.email}.` });
    } catch (failure) {
      setMessage({ ok: false, text: explain(failure) === 'Wrong username or password.' ? 'The password is wrong.' : explain(failure) });
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="email-title">
      <h2 id="email-title">Email address</h2>
      <p class="muted">Where Tessera writes to you, for example before your sign-in method stops working. Leave it empty to remove it.</p>
      <label>
        Email
        <input name="email" type="email" autocomplete="email" defaultValue={email ?? ''} />
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
