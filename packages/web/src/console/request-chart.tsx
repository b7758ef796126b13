import { useEffect, useRef, useState } from 'preact/hooks';
import { explain, type TesseraApi } from '../shared/tessera-api.js';
import { ErrorAlert } from '../shared/error-alert.js';

interface Hour {
  hour: string;
  jwt: number;
  session: number;
}

interface Moved {
  handed_off: number;
  lazily_migrated: number;
  rehashed: number;
  total: number;
}

const users = (n: number) => `${n} user${n === 1 ? '' : 's'}`;

/** One sentence: how many users moved over from the team's own app, and how. */
function movedSentence(moved: Moved): string {
  return (
    `Moved over from your app in the last 7 days: ${users(moved.total)} — ${moved.handed_off} handed off, ` +
    `${moved.lazily_migrated} by lazy migration, ${moved.rehashed} re-hashed at login.`
  );
}

/**
 * Authenticated requests per hour over 7 days, JWT against session, and how many users moved over from
 * the team's own app in those days. Chart.js is loaded only when the
 * chart is shown, so the sign-in form never waits for it; a table of the totals says the same in words.
 */
export function RequestChart({ api }: { api: TesseraApi }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hours, setHours] = useState<Hour[] | undefined>();
  const [moved, setMoved] = useState<Moved | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api.call<Hour[]>('GET', '/admin/stats/authenticated-requests?days=7').then(
      ({ data }) => setHours(data),
      (failure: unknown) => setError(explain(failure)),
    );
    api.call<Moved>('GET', '/admin/stats/moved-users?days=7').then(
      ({ data }) => setMoved(data),
      (failure: unknown) => setError(explain(failure)),
    );
  }, []);

  useEffect(() => {
    if (!hours || !canvas.current) return;
    let chart: { destroy(): void } | undefined;
    let cancelled = false;
    void import('./chart-drawing.js').then(({ drawRequestChart }) => {
      if (!cancelled && canvas.current) chart = drawRequestChart(canvas.current, hours);
    });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [hours]);

  const total = (field: 'jwt' | 'session') => (hours ?? []).reduce((sum, h) => sum + h[field], 0);
  const jwt = total('jwt');
  const session = total('session');
  const share = jwt + session === 0 ? undefined : Math.round((jwt / (jwt + session)) * 100);
  return (
    <section class="card" aria-labelledby="chart-title">
      <h2 id="chart-title">Authenticated requests per hour, last 7 days</h2>
      <ErrorAlert message={error} />
      <div class="chart">
        <canvas ref={canvas} role="img" aria-label={`Requests per hour: ${jwt} with JWTs and ${session} with sessions over 7 days`} data-testid="request-chart" />
      </div>
      <p data-testid="request-totals">
        {hours === undefined
          ? 'Loading…'
          : share === undefined
            ? 'No authenticated requests in the last 7 days.'
            : `${jwt} requests with JWTs, ${session} with sessions: ${share}% on JWTs.`}
      </p>
      <p data-testid="moved-users">{moved === undefined ? 'Loading…' : movedSentence(moved)}</p>
    </section>
  );
}
