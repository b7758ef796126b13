import { useEffect, useState } from 'preact/hooks';
import { SignInForm } from '../shared/sign-in-form.js';
import { ErrorAlert } from '../shared/error-alert.js';
import { explain, notSignedOut, type TesseraApi } from '../shared/tessera-api.js';
import { AuditPanel } from './audit-panel.js';
import { KeysPanel } from './keys-panel.js';
import { ReauthDialog, useReauth } from './reauth.js';
import { RolloutPanel } from './rollout-panel.js';
import { UsersPanel } from './users-panel.js';

const TABS = ['Rollout', 'Users', 'Keys', 'Audit'] as const;
type Tab = (typeof TABS)[number];

type State = { kind: 'loading' } | { kind: 'signed-out'; notice?: string } | { kind: 'admin'; username: string; error?: string };

/** /console: the operator console, for accounts with the admin role. */
export function ConsolePage({ api }: { api: TesseraApi }) {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [tab, setTab] = useState<Tab>('Rollout');
  const reauth = useReauth(api);

  /** Only an admin gets past this; anyone else is signed out again with the reason. */
  const enter = async () => {
    const { data } = await api.call<{ username: string; role: string }>('GET', '/api/me/account');
    if (data.role !== 'admin') {
      // Refused either way; a sign-out Tessera could not confirm leaves a login the console refuses again.
      await api.logout().catch(() => undefined);
      setState({ kind: 'signed-out', notice: `${data.username} is not an operator: the console is for accounts with the admin role.` });
      return;
    }
    setState({ kind: 'admin', username: data.username });
  };

  useEffect(() => {
    (async () => {
      if (await api.restore()) return enter();
      setState({ kind: 'signed-out' });
    })().catch((error: unknown) => setState({ kind: 'signed-out', notice: explain(error) }));
  }, []);

  if (state.kind === 'loading') return <p class="card" aria-busy="true">Loading…</p>;
  if (state.kind === 'signed-out') {
    return (
      <>
        {state.notice && (
          <p class="card error" role="alert">
            {state.notice}
          </p>
        )}
        <SignInForm
          title="Tessera console"
          onSignIn={async (username, password) => {
            await api.login(username, password);
            await enter();
          }}
        />
      </>
    );
  }
  return (
    <>
      <header class="top">
        <h1>Tessera console</h1>
        <p>
          {state.username}{' '}
          <button
            type="button"
            class="secondary"
            onClick={() =>
              api.logout().then(
                () => setState({ kind: 'signed-out' }),
                (failure: unknown) => setState({ ...state, error: notSignedOut(failure) }),
              )
            }
          >
            Sign out
          </button>
        </p>
      </header>
      <ErrorAlert message={state.error} />
      <nav class="tabs" aria-label="Console sections">
        {TABS.map((name) => (
          <button type="button" key={name} aria-current={tab === name ? 'page' : undefined} onClick={() => setTab(name)}>
            {name}
          </button>
        ))}
      </nav>
      {tab === 'Rollout' && <RolloutPanel api={api} confirm={reauth.confirm} />}
      {tab === 'Users' && <UsersPanel api={api} confirm={reauth.confirm} />}
      {tab === 'Keys' && <KeysPanel api={api} confirm={reauth.confirm} />}
      {tab === 'Audit' && <AuditPanel api={api} />}
      <ReauthDialog state={reauth} />
    </>
  );
}
