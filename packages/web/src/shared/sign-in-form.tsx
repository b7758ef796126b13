import { useEffect, useRef, useState } from 'preact/hooks';
import { explain } from './tessera-api.js';
import { ErrorAlert } from './error-alert.js';

/** The sign-in form of both pages: labelled fields, one button, the error said in words. */
export function SignInForm({ title, onSignIn }: { title: string; onSignIn: (username: string, password: string) => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const username = useRef<HTMLInputElement>(null);
  // `autofocus` only works for what the HTML had at load; the form is drawn later.
  useEffect(() => username.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(String(form.get('username')), String(form.get('password')));
    } catch (failure) {
      setError(explain(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{title}</h1>
      <label>
        Username
        <input ref={username} name="username" autocomplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autocomplete="current-password" required />
      </label>
      <ErrorAlert message={error} />
      <button type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
