import { useEffect, useState } from 'preact/hooks';
import { MigrationNotice } from '../shared/migration-notice.js';
import { SignInForm } from '../shared/sign-in-form.js';
import { ApiError, explain, notSignedOut, type TesseraApi } from '../shared/tessera-api.js';
import { Devices } from './devices.js';
import { EmailChange, type EmailState, type Message } from './email-change.js';
import { PasswordChange } from './password-change.js';

interface Me {
  id: string;
  role: string;
  auth: 'jwt' | 'session';
}

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'jwt'; username: string; address: EmailState; notice?: Message }
  | { kind: 'session'; me: Me; sunset: string | null; guide: string | null };

interface Account {
  username: string;
  email: string | null;
  email_verified: boolean;
}

/**
 * The token of a confirmation link (`/account#confirm-email=…`), taken out of the address bar at once so
 * it stays in neither the history nor a bookmark; the page sends it once the user is signed in.
 */
function takeConfirmationToken(): string | undefined {
  const token = /^#confirm-email=([\w-]+)$/.exec(window.location.hash)?.[1];
  if (token !== undefined) history.replaceState(null, '', window.location.pathname + window.location.search);
  return token;
}

/** /account: sign in, your devices, your password, your email address; the migration banner for a legacy session. */
export function AccountPage({ api }: { api: TesseraApi }) {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [confirmation, setConfirmation] = useState(takeConfirmationToken);

  /** Opens the pending confirmation link, if any, as the signed-in user: what it did, in words. */
  const confirmPending = async (): Promise<Message | undefined> => {
    if (confirmation === undefined) return undefined;
    setConfirmation(undefined);
    try {
      const { data } = await api.call<Account>('POST', '/api/me/email/confirm', { token: confirmation });
      return { ok: true, text: `Email address ${data.email ?? ''} confirmed.` };
    } catch (failure) {
      return { ok: false, text: explain(failure) };
    }
  };
  const showSignedIn = async () => {
    const notice = await confirmPending();
    const { data } = await api.call<Account>('GET', '/api/me/account');
    setState({ kind: 'jwt', username: data.username, address: { email: data.email, verified: data.email_verified }, ...(notice ? { notice } : {}) });
  };
  const showSession = async (): Promise<boolean> => {
    try {
      const { data, headers } = await api.call<Me>('GET', '/api/me');
      if (data.auth !== 'session') return false;
      const guide = /<([^>]+)>;\s*rel="deprecation"/.exec(headers.get('link') ?? '')?.[1] ?? null;
      setState({ kind: 'session', me: data, sunset: headers.get('sunset'), guide });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return false;
      throw error;
    }
  };
  const signedOut = (notice?: string) => {
    api.forget();
    setState({ kind: 'signed-out', ...(notice ? { notice } : {}) });
  };

  useEffect(() => {
    (async () => {
      if (await api.restore()) return showSignedIn();
      if (await showSession()) return;
      signedOut();
    })().catch((error: unknown) => signedOut(explain(error)));
  }, []);

  const signIn = async (username: string, password: string) => {
    try {
      await api.login(username, password);
      await showSignedIn();
    } catch (error) {
      // An account outside the JWT rollout still signs in, with a session, and sees the banner.
      if (!(error instanceof ApiError) || error.code !== 'jwt_not_enabled') throw error;
      await api.sessionLogin(username, password);
      await showSession();
    }
  };

  switch (state.kind) {
    case 'loading':
      return <p class="card" aria-busy="true">Loading…</p>;
    case 'signed-out':
      return (
        <>
          {state.notice && <p class="card notice" role="status">{state.notice}</p>}
          {confirmation !== undefined && (
            <p class="card notice" role="status">
              Sign in to confirm your email address.
            </p>
          )}
          <SignInForm title="Sign in to your account" onSignIn={signIn} />
        </>
      );
    case 'session':
      return <SessionAccount api={api} state={state} onSwitched={showSignedIn} onSignedOut={() => signedOut('You are signed out.')} />;
    case 'jwt':
      return (
        <>
          <header class="top">
            <h1>Your account</h1>
            <p>
              Signed in as <strong>{state.username}</strong>
            </p>
          </header>
          <Devices api={api} onSignedOut={signedOut} />
          <PasswordChange api={api} />
          <EmailChange api={api} address={state.address} {...(state.notice ? { notice: state.notice } : {})} onChanged={(address) => setState({ ...state, address })} />
        </>
      );
  }
}

function SessionAccount({
  api,
  state,
  onSwitched,
  onSignedOut,
}: {
  api: TesseraApi;
  state: Extract<State, { kind: 'session' }>;
  onSwitched: () => Promise<void>;
  onSignedOut: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const switchNow = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.exchangeSession();
      await onSwitched();
    } catch (failure) {
      setError(explain(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <header class="top">
        <h1>Your account</h1>
      </header>
      <MigrationNotice sunset={state.sunset} guide={state.guide} onSwitch={switchNow} busy={busy} />
      {error && (
        <p class="error card" role="alert">
          {error}
        </p>
      )}
      <section class="card">
        <button type="button" class="secondary" onClick={() => api.logout().then(onSignedOut, (failure: unknown) => setError(notSignedOut(failure)))}>
          Sign out
        </button>
      </section>
    </>
  );
}
