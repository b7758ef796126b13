import { useEffect, useState } from 'preact/hooks';
import { dateTime } from '../shared/format.js';
import { explain, type TesseraApi } from '../shared/tessera-api.js';
import type { Confirm } from './reauth.js';

interface Key {
  kid: string;
  use: 'access' | 'refresh';
  alg: string;
  state: 'active' | 'retiring';
  created_at: string;
  retires_at: string | null;
}

/** Signing keys: the active and retiring ones; rotate (nobody is signed out). */
export function KeysPanel({ api, confirm }: { api: TesseraApi; confirm: Confirm }) {
  const [keys, setKeys] = useState<Key[] | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const load = async () => setKeys((await api.call<Key[]>('GET', '/admin/keys')).data);
  useEffect(() => void load().catch((error: unknown) => setMessage({ ok: false, text: explain(error) })), []);
  const rotate = async (use: Key['use']) => {
    if (!(await confirm(`Rotate the ${use}-token signing key. Tokens already issued keep working until they expire.`))) return;
    try {
      await api.call('POST', '/admin/keys/rotate', { use });
      setMessage({ ok: true, text: `A new ${use}-token key signs from now on.` });
      await load();
    } catch (error) {
      setMessage({ ok: false, text: explain(error) });
    }
  };
  return (
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">Signing keys</h2>
      {message && (
        <p class={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Signs</th>
              <th scope="col">Algorithm</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Leaves</th>
            </tr>
          </thead>
          <tbody>
            {(keys ?? []).map((key) => (
              <tr key={key.kid}>
                <td>
                  <code>{key.kid}</code>
                </td>
                <td>{key.use} tokens</td>
                <td>{key.alg}</td>
                <td>{key.state}</td>
                <td>{dateTime(key.created_at)}</td>
                <td>{key.retires_at ? dateTime(key.retires_at) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="actions">
        <button type="button" onClick={() => rotate('access')}>
          Rotate access-token key
        </button>
        <button type="button" class="secondary" onClick={() => rotate('refresh')}>
          Rotate refresh-token key
        </button>
      </div>
    </section>
  );
}
