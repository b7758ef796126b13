import { CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

/** Draws the two series on `canvas`; the colours follow the page's light or dark scheme. */
export function drawRequestChart(canvas: HTMLCanvasElement, hours: Array<{ hour: string; jwt: number; session: number }>): Chart {
  const style = getComputedStyle(document.documentElement);
  const colour = (name: string) => style.getPropertyValue(name).trim();
  const label = (iso: string) => new Date(iso).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: hours.map((h) => label(h.hour)),
      datasets: [
        { label: 'JWT', data: hours.map((h) => h.jwt), borderColor: colour('--accent'), backgroundColor: colour('--accent'), pointRadius: 0, tension: 0.2 },
        { label: 'Session', data: hours.map((h) => h.session), borderColor: colour('--danger'), backgroundColor: colour('--danger'), pointRadius: 0, tension: 0.2 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 8 } } },
      plugins: { legend: { labels: { color: colour('--text') } } },
    },
  });
}
