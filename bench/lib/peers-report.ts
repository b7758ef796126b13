import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Measurement, PeersResult, Target, Workload } from '../scenarios/peers.js';

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
/** The middle value; with an even count, the mean of the two middle ones (favouring no one). */
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  if (!sorted.length) return Number.NaN;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
};

const NAMES: Record<Target, string> = {
  tessera: 'Tessera',
  'fastify-jwt': 'Fastify + @fastify/jwt',
  'express-jsonwebtoken': 'Express + jsonwebtoken',
  'better-auth': 'Better Auth (sessions)',
  'better-auth-jwt': 'Better Auth JWT plugin + jose',
  fastify: 'bare Fastify (no auth)',
  'tessera-before': 'Tessera (--before)',
};
const TITLES: Record<Workload, string> = {
  warm: 'protected GET /api/users, warm tokens (50 conn.)',
  cold: 'protected GET /api/users, cold tokens (50 conn.)',
  ceiling: 'unprotected ceiling, same handler (50 conn.)',
  login: 'login (8 conn.)',
  refresh: 'refresh (16 chains)',
  flood: 'API p99 growth under a login flood',
};

/** Each workload's goal: what Tessera's ratio is compared with, and the least ratio that meets it. */
const GOALS: Partial<Record<Workload, { against: 'best' | Target; atLeast: number }>> = {
  warm: { against: 'best', atLeast: 1.5 },
  cold: { against: 'fastify-jwt', atLeast: 1.5 },
  ceiling: { against: 'fastify', atLeast: 0.9 },
  login: { against: 'best', atLeast: 1.0 },
  refresh: { against: 'best', atLeast: 1.25 },
};

export interface Ratio {
  workload: Workload;
  against: string;
  ratio: number;
  /** The same comparison by server CPU per request (peer ÷ Tessera): steadier on a noisy machine. */
  cpuRatio: number;
  goal: string;
  met: boolean;
}

/** Tessera ÷ the peer named by the goal (or the best peer of each round), median over the rounds. */
export function ratios(result: PeersResult): Ratio[] {
  const out: Ratio[] = [];
  for (const [workload, byTarget] of Object.entries(result.rounds) as Array<[Workload, Partial<Record<Target, Measurement[]>>]>) {
    const goal = GOALS[workload];
    const tessera = byTarget.tessera;
    if (!goal || !tessera) continue;
    const peers = (Object.keys(byTarget) as Target[]).filter((t) => t !== 'tessera' && t !== 'tessera-before' && (goal.against === 'best' ? t !== 'fastify' || workload === 'ceiling' : t === goal.against));
    if (!peers.length) continue;
    const best = tessera.map((_, round) => peers.reduce((a, b) => (byTarget[b]![round]!.rps > byTarget[a]![round]!.rps ? b : a)));
    const perRound = tessera.map((m, round) => m.rps / byTarget[best[round]!]![round]!.rps);
    const ratio = median(perRound);
    const cpuRatio = median(tessera.map((m, round) => Math.min(...peers.map((p) => byTarget[p]![round]!.serverCpuUs)) / m.serverCpuUs));
    const winners = [...new Set(best)].map((t) => NAMES[t]).join(', ');
    out.push({ workload, against: goal.against === 'best' ? `best peer (${winners})` : NAMES[goal.against], ratio, cpuRatio, goal: `≥ ${goal.atLeast}×`, met: ratio >= goal.atLeast });
  }
  const flood = result.flood.tessera;
  if (flood) {
    const growth = median(flood.map((f) => f.growth));
    out.push({ workload: 'flood', against: 'its own p99 without the flood', ratio: growth, cpuRatio: Number.NaN, goal: '≤ 2×', met: growth <= 2 });
  }
  return out;
}

function summary(ms: Measurement[]): Measurement {
  const pick = (k: keyof Measurement) => median(ms.map((m) => m[k]));
  return {
    rps: pick('rps'),
    ok: ms.reduce((s, m) => s + m.ok, 0),
    errors: ms.reduce((s, m) => s + m.errors, 0),
    p50: pick('p50'),
    p99: pick('p99'),
    serverCpuUs: pick('serverCpuUs'),
    eventLoopCpuUs: pick('eventLoopCpuUs'),
    generatorCpuUs: pick('generatorCpuUs'),
    rssBytes: Math.max(...ms.map((m) => m.rssBytes)),
  };
}

/** AWS Fargate, us-east-1, Linux/x86, on-demand (the rates published since the price cut of January 2019). */
export const PRICES = { vcpuHour: 0.04048, gbHour: 0.004445, source: 'AWS Fargate us-east-1 Linux/x86 on-demand, $0.04048 per vCPU-hour and $0.004445 per GB-hour' };
const HOURS_PER_MONTH = 730;
/** The users the cost row is for, as in the seed's load test: one API call per 5 s each, 15-minute access tokens. */
const COST_MODEL = { users: 10_000, thinkSeconds: 5, accessTokenSeconds: 900, utilization: 0.6 };

/**
 * Monthly cost of serving COST_MODEL.users with each target, from what this run measured: vCPUs =
 * users × (API calls/s × CPU per call + refreshes/s × CPU per refresh) ÷ target utilization; memory =
 * the peak RSS of one instance per vCPU (at least one instance); priced per vCPU-hour and GB-hour.
 */
export function costRow(result: PeersResult): string | undefined {
  const warm = result.rounds.warm;
  const refresh = result.rounds.refresh;
  if (!warm || !refresh) return undefined;
  const m = COST_MODEL;
  const cells: string[] = [];
  for (const target of Object.keys(warm) as Target[]) {
    const api = warm[target];
    const rotation = refresh[target];
    if (!api || !rotation || target === 'tessera-before') continue;
    const cpuSeconds = (m.users / m.thinkSeconds) * (summary(api).serverCpuUs / 1e6) + (m.users / m.accessTokenSeconds) * (summary(rotation).serverCpuUs / 1e6);
    const vcpus = Math.max(1, Math.ceil(cpuSeconds / m.utilization));
    const gb = (vcpus * Math.max(summary(api).rssBytes, summary(rotation).rssBytes)) / 2 ** 30;
    const monthly = (vcpus * PRICES.vcpuHour + gb * PRICES.gbHour) * HOURS_PER_MONTH;
    cells.push(`${NAMES[target]}: ${vcpus} vCPU, ${gb.toFixed(2)} GB → $${monthly.toFixed(0)}/month`);
  }
  return [
    `**Infrastructure cost** for ${int(m.users)} users (one API call every ${m.thinkSeconds} s each, a refresh every ${m.accessTokenSeconds / 60} min): ${cells.join('; ')}.`,
    `Model: vCPUs = users × (calls/s × server CPU per call + refreshes/s × server CPU per refresh, both measured above) ÷ ${m.utilization} utilization, rounded up; memory = one instance's peak RSS per vCPU; ` +
      `× ${HOURS_PER_MONTH} h at ${PRICES.source}. Put your own prices and users in bench/lib/peers-report.ts (PRICES, COST_MODEL) to redo it.`,
  ].join('\n');
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

export function renderPeers(result: PeersResult, cost = costRow(result)): string {
  const o = result.options;
  const lines = [
    `## Tessera and its peers`,
    '',
    `${o.rounds} interleaved round(s) of ${o.seconds} s per workload and target; medians over the rounds. 1,000 users, pages of 50, ` +
      `argon2id m=19 MiB t=2 p=1 everywhere, RS256 access tokens everywhere but Better Auth (sessions), whose bearer token is its session token (checked with getSession on every request), the same page cache everywhere. ` +
      `CPU µs/req, from the OS, per successful request: the server process (all threads); of it, the server's main thread, which runs its event loop (work there cannot use a second core; the rest ran in the thread pool, worker threads or V8's helper threads); the load generator.`,
    '',
    '| workload | target | req/s | p50 | p99 | server CPU µs/req | of it, event loop | generator CPU µs/req | peak RSS | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [workload, byTarget] of Object.entries(result.rounds) as Array<[Workload, Partial<Record<Target, Measurement[]>>]>) {
    for (const [target, ms_] of Object.entries(byTarget) as Array<[Target, Measurement[]]>) {
      const s = summary(ms_);
      lines.push(`| ${TITLES[workload]} | ${NAMES[target]} | ${int(s.rps)} | ${ms(s.p50)} | ${ms(s.p99)} | ${int(s.serverCpuUs)} | ${int(s.eventLoopCpuUs)} | ${int(s.generatorCpuUs)} | ${int(s.rssBytes / 2 ** 20)} MB | ${s.errors} |`);
    }
  }
  for (const [target, floods] of Object.entries(result.flood) as Array<[Target, NonNullable<PeersResult['flood'][Target]>]>) {
    const quiet = summary(floods.map((f) => f.quiet));
    const flooded = summary(floods.map((f) => f.flooded));
    const logins = summary(floods.map((f) => f.logins));
    lines.push(
      `| API at ${o.floodApiRate}/s, then with 8 conn. of logins | ${NAMES[target]} | logins ${int(logins.rps)}/s | ${ms(quiet.p50)} → ${ms(flooded.p50)} | ${ms(quiet.p99)} → ${ms(flooded.p99)} (×${median(floods.map((f) => f.growth)).toFixed(2)}) | ${int(logins.serverCpuUs)} per login | ${int(logins.eventLoopCpuUs)} per login | ${int(logins.generatorCpuUs)} per login | ${int(Math.max(quiet.rssBytes, flooded.rssBytes, logins.rssBytes) / 2 ** 20)} MB | ${quiet.errors + flooded.errors + logins.errors} |`,
    );
  }
  const late = Object.entries(result.flood) as Array<[Target, NonNullable<PeersResult['flood'][Target]>]>;
  if (late.length) {
    const phase = (floods: NonNullable<PeersResult['flood'][Target]>, which: 'quiet' | 'flooded') => ({
      p99Ms: median(floods.map((f) => f.generatorDelay[which].p99Ms)),
      busy: median(floods.map((f) => f.generatorDelay[which].utilization)),
    });
    const described = late.map(([target, floods]) => {
      const [quiet, flooded] = [phase(floods, 'quiet'), phase(floods, 'flooded')];
      return `${NAMES[target]} ${quiet.p99Ms.toFixed(2)} → ${flooded.p99Ms.toFixed(2)} ms (busy ${pct(quiet.busy)} → ${pct(flooded.busy)})`;
    });
    lines.push(
      '',
      `The load generator's own event loop in the flood rows, without → with the logins: a 1 ms timer's lateness at p99, and the share of the time the loop was busy (medians over the rounds) — ` +
        `${described.join('; ')}. Replies that arrive while it is late are timed late: this is a sign of that, not an amount to subtract.`,
    );
  }
  lines.push('', '| goal | Tessera ÷ | ratio (req/s) | goal | verdict | by CPU per request |', '|---|---|---|---|---|---|');
  for (const r of ratios(result)) {
    const cpu = Number.isNaN(r.cpuRatio) ? '' : `${r.cpuRatio.toFixed(2)}×`;
    lines.push(`| ${TITLES[r.workload]} | ${r.against} | ${r.ratio.toFixed(2)}× | ${r.goal} | ${r.met ? 'met' : 'missed'} | ${cpu} |`);
  }
  const before = Object.entries(result.rounds).filter(([, byTarget]) => byTarget.tessera && byTarget['tessera-before']);
  if (before.length) {
    lines.push('', '| workload | Tessera ÷ Tessera (--before), req/s | server CPU µs/req, before → now |', '|---|---|---|');
    for (const [workload, byTarget] of before as Array<[Workload, Partial<Record<Target, Measurement[]>>]>) {
      const now = byTarget.tessera!;
      const then = byTarget['tessera-before']!;
      lines.push(`| ${TITLES[workload]} | ${median(now.map((m, i) => m.rps / then[i]!.rps)).toFixed(2)}× | ${int(summary(then).serverCpuUs)} → ${int(summary(now).serverCpuUs)} |`);
    }
  }
  if (cost) lines.push('', cost);
  lines.push('', `Versions: ${Object.entries(result.peerVersions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  return lines.join('\n');
}

/** A bar per workload: Tessera's ratio, with the goal beside it. */
export async function peersChartSvg(result: PeersResult): Promise<string> {
  const values = ratios(result).flatMap((r) => [
    { workload: TITLES[r.workload], kind: 'Tessera', ratio: r.ratio },
    { workload: TITLES[r.workload], kind: 'goal', ratio: Number(r.goal.replace(/[^\d.]/g, '')) },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Tessera ÷ peer (growth for the flood), one run',
    width: 480,
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'workload', type: 'nominal', title: null },
      yOffset: { field: 'kind' },
      x: { field: 'ratio', type: 'quantitative', title: 'ratio' },
      color: { field: 'kind', type: 'nominal', title: null },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
