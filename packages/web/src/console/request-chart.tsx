import { useEffect, useRef, useState } from 'preact/hooks';
import { explain, type TesseraApi } from '../shared/tessera-api.js';

interface Hour {
  hour: string;
  jwt: number;
  session: number;
}

/**
 * Authenticated requests per hour over 7 days, JWT against session. Chart.js is loaded only when the
 * chart is shown, so the sign-in form never waits for it; a table of the totals says the same in words.
 */
export function RequestChart({ api }: { api: TesseraApi }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hours, setHours] = useState<Hour[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api.call<Hour[]>('GET', '/admin/stats/authenticated-requests?days=7').then(
      ({ data }) => setHours(data),
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
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
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
    </section>
  );
}
