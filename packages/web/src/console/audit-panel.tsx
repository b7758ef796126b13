import { useEffect, useState } from 'preact/hooks';
import { dateTime } from '../shared/format.js';
import { explain, type TesseraApi } from '../shared/tessera-api.js';
import { ErrorAlert } from '../shared/error-alert.js';

interface AuditEvent {
  id: number;
  at: string;
  type: string;
  user_id: string | null;
  actor: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

/** The audit trail, newest first, filtered by user name, type and time. */
export function AuditPanel({ api }: { api: TesseraApi }) {
  const [events, setEvents] = useState<AuditEvent[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = (filters: Record<string, string> = {}) => {
    const query = new URLSearchParams({ limit: '100', ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '')) });
    api.call<AuditEvent[]>('GET', `/admin/audit?${query}`).then(
      ({ data }) => {
        setEvents(data);
        setError(undefined);
      },
      (failure: unknown) => setError(explain(failure)),
    );
  };
  useEffect(() => load(), []);
  const filter = (event: Event) => {
    event.preventDefault();
    const fields = new FormData(event.currentTarget as HTMLFormElement);
    const since = String(fields.get('since'));
    load({
      username: String(fields.get('username')).trim(),
      type: String(fields.get('type')).trim(),
      since: since ? new Date(since).toISOString() : '',
    });
  };
  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <form class="row" onSubmit={filter}>
        <label>
          User name
          <input name="username" />
        </label>
        <label>
          Event type
          <input name="type" list="audit-types" placeholder="login.failure" />
          <datalist id="audit-types">
            {['login.success', 'login.failure', 'login.locked', 'token.reuse_detected', 'logout', 'admin.user.disable', 'admin.rollout.set', 'account.password_change'].map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Since
          <input name="since" type="datetime-local" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorAlert message={error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">User</th>
              <th scope="col">By</th>
              <th scope="col">IP</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {(events ?? []).map((e) => (
              <tr key={e.id}>
                <td>{dateTime(e.at)}</td>
                <td>{e.type}</td>
                <td>{e.user_id ?? '—'}</td>
                <td>{e.actor ?? '—'}</td>
                <td>{e.ip ?? '—'}</td>
                <td>
                  <code>{e.detail ? JSON.stringify(e.detail) : ''}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {events?.length === 0 && <p>No event matches.</p>}
    </section>
  );
}
