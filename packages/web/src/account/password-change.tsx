import { useState } from 'preact/hooks';
import { explain, type TesseraApi } from '../shared/tessera-api.js';

/** Change password: the current one, then the new one; every other device is signed out. */
export function PasswordChange({ api }: { api: TesseraApi }) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    try {
      await api.call('POST', '/api/me/password', {
        current_password: String(fields.get('current')),
        new_password: String(fields.get('next')),
        // The page keeps its refresh token in Tessera's HttpOnly cookie; never in a body a script could read.
        refresh_token_delivery: 'cookie',
      });
      await api.renewed();
      form.reset();
      setMessage({ ok: true, text: 'Password changed. Every other device has been signed out.' });
    } catch (failure) {
      setMessage({ ok: false, text: explain(failure) === 'Wrong username or password.' ? 'The current password is wrong.' : explain(failure) });
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <label>
        Current password
        <input name="current" type="password" autocomplete="current-password" required />
      </label>
      <label>
        New password
        <input name="next" type="password" autocomplete="new-password" minLength={8} required />
      </label>
      {message && (
        <p class={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <button type="submit">Change password</button>
    </form>
  );
}
