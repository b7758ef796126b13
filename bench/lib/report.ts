import type { CapacityResult } from '../scenarios/capacity.js';
import type { OverheadResult } from '../scenarios/overhead.js';
import type { PartsResult } from '../scenarios/parts.js';
import type { PeersResult } from '../scenarios/peers.js';
import type { UsersResult } from '../scenarios/users.js';
import type { VersusResult } from '../scenarios/versus.js';
import { describeCpu, type CpuUse } from './process-usage.js';
import { API, STEADY_API } from './virtual-user.js';

export interface BenchResults {
  machine: { cpus: number; model: string; memoryGiB: number; node: string };
  size: string;
  startedAt: string;
  jwt?: UsersResult;
  session?: UsersResult;
  capacity?: { jwt: CapacityResult; session: CapacityResult };
  overhead?: OverheadResult;
  parts?: PartsResult;
  peers?: PeersResult;
  versus?: VersusResult;
}

const fmt = (x: number, digits = 1) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => `${fmt(x, x < 10 ? 2 : 1)} ms`;
const mb = (bytes: number) => `${int(bytes / 2 ** 20)} MB`;
const change = (before: number, after: number) => {
  if (!before) return 'n/a';
  const pct = ((after - before) / before) * 100;
  return `${pct > 0 ? '+' : ''}${fmt(pct, 0)}% ${pct < 0 ? '⬇️' : '⬆️'}`;
};
const check = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
/** The round whose server CPU per request is the median one. */
const medianCpu = (rounds: CpuUse[]) => [...rounds].sort((a, b) => a.serverUsPerRequest - b.serverUsPerRequest)[Math.floor(rounds.length / 2)];

/** Server (of it, its event loop) and generator CPU per request, µs: `server 61 (event loop 40) + generator 67 µs`. */
const cpuPair = (cpu: CpuUse | undefined) =>
  cpu ? `server ${int(cpu.serverUsPerRequest)} (event loop ${int(cpu.eventLoopUsPerRequest)}) + generator ${int(cpu.generatorUsPerRequest)} µs` : 'n/a';
const capacityStep = (st: CapacityResult['steps'][number]) => `${st.concurrency}→${int(st.rps)} req/s p99 ${ms(st.p99)} CPU/request ${cpuPair(st.cpu)}`;

function usersTable(run: UsersResult): string {
  const rows = Object.entries(run.endpoints).map(
    ([name, e]) => `| ${name} | ${int(e.count + e.errors)} | ${fmt(e.rps)} | ${ms(e.avg)} | ${ms(e.p50)} | ${ms(e.p99)} | ${ms(e.max)} | ${e.errors} |`,
  );
  const o = run.options;
  return [
    `${int(o.users)} virtual users (${o.mode === 'jwt' ? 'JWT' : 'session cookies'}), spawned at ${o.spawnRate}/s, all held for ${o.steadySeconds} s, ` +
      `think time ${o.thinkSeconds} s (0.5–1.5×), TOKEN_EXPIRY=${o.tokenExpirySeconds} s; ${fmt(run.seconds, 0)} s in all.`,
    '',
    '| endpoint | requests | req/s | avg | p50 | p99 | max | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Errors: ${run.errors} of ${int(run.requests)} requests (${fmt(run.errorRate * 100, 2)}%). ` +
      `Server RSS: peak ${mb(run.rss.peak)}, average while all users were held ${mb(run.rss.steadyAvg)}.`,
    '',
    `CPU over the whole run: ${describeCpu(run.cpu.whole)}` +
      (run.cpu.steady ? `; while all users were held: ${describeCpu(run.cpu.steady)}.` : '.'),
    ...(run.generatorDelay
      ? [
          '',
          `The load generator's own event loop, while all users were held: busy ${fmt(run.generatorDelay.utilization * 100, 0)}% of the time; ` +
            `a 1 ms timer fired ${ms(run.generatorDelay.p99Ms)} late at p99 (about 1 ms even when idle) and ${ms(run.generatorDelay.maxMs)} at worst. ` +
            'Replies that arrived during such a stretch were timed late by up to that much.',
        ]
      : []),
    ...(run.errorExamples.length ? ['', 'First errors:', ...run.errorExamples.map((e) => `- ${e}`)] : []),
  ].join('\n');
}

export function renderSummary(r: BenchResults): string {
  const parts: string[] = [
    '# Tessera benchmark',
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; load generator on the same machine. ` +
      `Size: ${r.size}. Started ${r.startedAt}.`,
  ];
  if (r.jwt) parts.push('', "## The seed's load test (JWT)", '', usersTable(r.jwt));
  if (r.session) parts.push('', '## The same load with session cookies', '', usersTable(r.session));
  if (r.jwt && r.session && r.capacity) {
    const [s, j] = [r.session.endpoints[API]!, r.jwt.endpoints[API]!];
    const [cs, cj] = [r.capacity.session, r.capacity.jwt];
    const users = int(r.jwt.options.users);
    parts.push(
      '',
      '## Before (Sessions) / After (JWT)',
      '',
      '| Metric | Before (Sessions) | After (JWT) | Change |',
      '|---|---|---|---|',
      `| Avg response time (${API}) | ${ms(s.avg)} | ${ms(j.avg)} | ${change(s.avg, j.avg)} |`,
      `| P99 response time (${API}) | ${ms(s.p99)} | ${ms(j.p99)} | ${change(s.p99, j.p99)} |`,
      `| Memory (${users} users, peak server RSS) | ${mb(r.session.rss.peak)} | ${mb(r.jwt.rss.peak)} | ${change(r.session.rss.peak, r.jwt.rss.peak)} |`,
      `| Max concurrent users (p99 ≤ ${cj.options.thresholdMs} ms, ${cj.options.thinkSeconds} s think time) | ${int(cs.maxUsers)} | ${int(cj.maxUsers)} | ${change(cs.maxUsers, cj.maxUsers)} |`,
      `| Error rate | ${fmt(r.session.errorRate * 100, 2)}% | ${fmt(r.jwt.errorRate * 100, 2)}% | |`,
      '',
      `Max concurrent users is derived from measured capacity: ${API} driven at rising concurrency without think time ` +
        `(steps: JWT ${cj.steps.map(capacityStep).join(', ')}; sessions ${cs.steps.map(capacityStep).join(', ')}), ` +
        `the best throughput with p99 within the threshold × (think time + response time) (Little's law).`,
    );
  }
  if (r.overhead) {
    const o = r.overhead;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    parts.push(
      '',
      '## Authentication overhead',
      '',
      `One handler, ${o.options.concurrency} concurrent connections, ${o.options.rounds} alternating rounds of ${o.options.roundSeconds} s:`,
      '',
      '| route | req/s (median) | p99 (median) | CPU per request (median): server (its event loop) + load generator |',
      '|---|---|---|---|',
      `| without authentication | ${int(median(o.publicRps))} | ${ms(o.publicP99)} | ${cpuPair(medianCpu(o.publicCpu))} |`,
      `| with JWT authentication | ${int(median(o.protectedRps))} | ${ms(o.protectedP99)} | ${cpuPair(medianCpu(o.protectedCpu))} |`,
      '',
      `Protected/public throughput ratio (median of paired rounds): **${fmt(o.ratio * 100, 1)}%**.`,
    );
  }
  if (r.parts) {
    const p = r.parts;
    parts.push(
      '',
      '## Parts',
      '',
      '| algorithm | operation | per second, one core |',
      '|---|---|---|',
      ...p.crypto.map((c) => `| ${c.group} | ${c.operation} | ${int(c.perSecond)} |`),
      '',
      `One instance, rate limit off: **login ${fmt(p.login.rps)}/s** (${p.options.loginConcurrency} concurrent, p99 ${ms(p.login.p99)}, ${p.login.errors} errors); ` +
        `**refresh ${fmt(p.refresh.rps)}/s** (${p.options.refreshConcurrency} concurrent, p99 ${ms(p.refresh.p99)}, ${p.refresh.errors} errors).`,
      '',
      `CPU of logins: ${p.login.cpu ? describeCpu(p.login.cpu) : 'n/a'}; of refreshes: ${p.refresh.cpu ? describeCpu(p.refresh.cpu) : 'n/a'}.`,
    );
  }
  parts.push('', '## Goals', '', ...goals(r), '');
  return parts.join('\n');
}

function goals(r: BenchResults): string[] {
  const lines: string[] = [];
  if (r.jwt) {
    const api = r.jwt.endpoints[STEADY_API] ?? r.jwt.endpoints[API]!;
    const n = int(r.jwt.options.users);
    lines.push(
      `- ${n} concurrent users: ${r.jwt.errors} errors ${check(r.jwt.errors === 0)}; API avg ${ms(api.avg)} (≤ 10 ms ${check(api.avg <= 10)}), ` +
        `p99 ${ms(api.p99)} (≤ 40 ms ${check(api.p99 <= 40)}) while all users were held; peak RSS ${mb(r.jwt.rss.peak)} (≤ 250 MB ${check(r.jwt.rss.peak <= 250 * 2 ** 20)}).`,
    );
  }
  if (r.overhead) lines.push(`- JWT-protected throughput ${fmt(r.overhead.ratio * 100)}% of unauthenticated (≥ 90% ${check(r.overhead.ratio >= 0.9)}).`);
  if (r.parts) {
    lines.push(`- refresh ${fmt(r.parts.refresh.rps)}/s (≥ 1,500/s ${check(r.parts.refresh.rps >= 1500)}).`);
    lines.push(`- login ${fmt(r.parts.login.rps)}/s with argon2id m=19 MiB, t=2, p=1 (≥ 60/s ${check(r.parts.login.rps >= 60)}).`);
  }
  if (r.jwt && r.session) {
    const [s, j] = [r.session.endpoints[API]!, r.jwt.endpoints[API]!];
    const beats = j.avg < s.avg && j.p99 < s.p99 && r.jwt.rss.peak < r.session.rss.peak;
    lines.push(`- JWT beats sessions on avg, p99 and memory ${check(beats)}.`);
  }
  return lines;
}
