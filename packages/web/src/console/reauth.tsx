import { useEffect, useRef, useState } from 'preact/hooks';
import { explain, type TesseraApi } from '../shared/tessera-api.js';
import { ErrorAlert } from '../shared/error-alert.js';

export type Confirm = (action: string) => Promise<boolean>;

export interface ReauthState {
  confirm: Confirm;
  pending: { action: string; resolve: (ok: boolean) => void } | undefined;
  submit: (password: string) => Promise<string | undefined>;
  cancel: () => void;
}

/**
 * Asks for the admin's password again before a destructive action. POST /api/me/reauth answers a proof
 * (five minutes, this sign-in only) that the API client sends with every admin change; the server refuses
 * a change without one once the sign-in is older than REAUTH_MAX_AGE (`reauth_required`), and then this
 * dialog is shown too.
 */
export function useReauth(api: TesseraApi): ReauthState {
  const [pending, setPending] = useState<ReauthState['pending']>();
  const confirm: Confirm = (action) => {
    if (api.reauthFresh) return Promise.resolve(true);
    return new Promise((resolve) => setPending({ action, resolve }));
  };
  useEffect(() => {
    api.onReauthRequired = () => confirm('Confirm this change with your password.');
    return () => (api.onReauthRequired = undefined);
  }, [api]);
  const submit = async (password: string) => {
    try {
      const { data } = await api.call<{ reauth_token: string; expires_in: number }>('POST', '/api/me/reauth', { password });
      api.acceptReauth(data.reauth_token, data.expires_in);
    } catch (error) {
      return explain(error) === 'Wrong username or password.' ? 'Wrong password.' : explain(error);
    }
    pending?.resolve(true);
    setPending(undefined);
    return undefined;
  };
  const cancel = () => {
    pending?.resolve(false);
    setPending(undefined);
  };
  return { confirm, pending, submit, cancel };
}

export function ReauthDialog({ state }: { state: ReauthState }) {
  const [error, setError] = useState<string | undefined>();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (state.pending && !dialog.current?.open) dialog.current?.showModal();
    if (!state.pending && dialog.current?.open) dialog.current.close();
  }, [state.pending]);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const problem = await state.submit(String(new FormData(form).get('password')));
    setError(problem);
    if (!problem) form.reset();
  };
  return (
    <dialog ref={dialog} aria-labelledby="reauth-title" onCancel={() => state.cancel()}>
      <form onSubmit={submit}>
        <h2 id="reauth-title">Confirm with your password</h2>
        <p>{state.pending?.action}</p>
        <label>
          Your password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <ErrorAlert message={error} />
        <div class="actions">
          <button type="submit">Confirm</button>
          <button type="button" class="secondary" onClick={() => state.cancel()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
