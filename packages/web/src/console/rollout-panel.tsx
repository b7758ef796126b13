import { useEffect, useState } from 'preact/hooks';
import { browserName, dateTime } from '../shared/format.js';
import { explain, type TesseraApi } from '../shared/tessera-api.js';
import type { Confirm } from './reauth.js';
import { RequestChart } from './request-chart.js';

interface Rollout {
  percent: number;
  source: 'database' | 'environment';
  overrides: Array<{ user_id: string; username: string; enabled: boolean; updated_at: string }>;
}

interface Usage {
  user_id: string;
  username: string | null;
  user_agent: string | null;
  requests: number;
  last_seen: string;
}

/** The rollout at a glance: percentage and its control, overrides, who still uses sessions, the chart. */
export function RolloutPanel({ api, confirm }: { api: TesseraApi; confirm: Confirm }) {
  const [rollout, setRollout] = useState<Rollout | undefined>();
  const [usage, setUsage] = useState<Usage[] | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const load = async () => {
    const [state, legacy] = await Promise.all([api.call<Rollout>('GET', '/admin/rollout'), api.call<Usage[]>('GET', '/admin/legacy-usage?days=30')]);
    setRollout(state.data);
    setUsage(legacy.data);
  };
  useEffect(() => void load().catch((error: unknown) => setMessage({ ok: false, text: explain(error) })), []);

  const setPercent = async (event: Event) => {
    event.preventDefault();
    const percent = Number(new FormData(event.currentTarget as HTMLFormElement).get('percent'));
    if (percent < (rollout?.percent ?? 0) && !(await confirm(`Lower the rollout to ${percent}%: fewer users may sign in with JWTs.`))) return;
    try {
      const { data } = await api.call<Rollout & { previous_percent: number }>('PUT', '/admin/rollout', { percent });
      setRollout(data);
      setMessage({ ok: true, text: `Rollout set to ${data.percent}% (was ${data.previous_percent}%). Every instance applies it within 2 seconds.` });
    } catch (error) {
      setMessage({ ok: false, text: explain(error) });
    }
  };

  return (
    <>
      <section class="card" aria-labelledby="rollout-title">
        <h2 id="rollout-title">JWT rollout</h2>
        {rollout && (
          <>
            <p>
              <span class="big" data-testid="rollout-percent">
                {rollout.percent}%
              </span>{' '}
              <span class="muted">of users may sign in with JWTs ({rollout.source === 'database' ? 'set by an operator' : 'from JWT_ROLLOUT_PERCENT'})</span>
            </p>
            <form class="row" onSubmit={setPercent}>
              <label>
                New percentage
                <input name="percent" type="number" min={0} max={100} required defaultValue={String(rollout.percent)} />
              </label>
              <button type="submit">Set rollout</button>
            </form>
            {rollout.overrides.length > 0 && (
              <>
                <h3>Per-user overrides</h3>
                <ul>
                  {rollout.overrides.map((o) => (
                    <li key={o.user_id}>
                      {o.username}: {o.enabled ? 'always JWT' : 'keeps sessions'} <span class="muted">(since {dateTime(o.updated_at)})</span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
        {message && (
          <p class={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
      </section>
      <RequestChart api={api} />
      <section class="card" aria-labelledby="legacy-title">
        <h2 id="legacy-title">Still on sessions (last 30 days)</h2>
        {usage === undefined ? (
          <p aria-busy="true">Loading…</p>
        ) : usage.length === 0 ? (
          <p>Nobody used a session cookie in the last 30 days.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Client</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {usage.map((u) => (
                  <tr key={`${u.user_id}/${u.user_agent}`}>
                    <td>{u.username ?? u.user_id}</td>
                    <td title={u.user_agent ?? ''}>{browserName(u.user_agent)}</td>
                    <td>{u.requests}</td>
                    <td>{dateTime(u.last_seen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
