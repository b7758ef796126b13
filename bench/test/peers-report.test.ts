import { describe, expect, it } from 'vitest';
import { ratios, renderPeers } from '../lib/peers-report.js';
import type { Measurement, PeersResult, Target, Workload } from '../scenarios/peers.js';

const measured = (rps: number, serverCpuUs: number): Measurement => ({
  rps,
  ok: rps,
  errors: 0,
  p50: 1,
  p99: 2,
  serverCpuUs,
  eventLoopCpuUs: Math.round(serverCpuUs / 3),
  generatorCpuUs: 50,
  rssBytes: 100 * 2 ** 20,
});

const delays = (quietP99Ms: number, floodedP99Ms: number) => ({
  quiet: { utilization: 0.1, p99Ms: quietP99Ms, maxMs: 2 * quietP99Ms },
  flooded: { utilization: 0.3, p99Ms: floodedP99Ms, maxMs: 2 * floodedP99Ms },
});

const flood = () => ({ quiet: measured(300, 90), flooded: measured(300, 95), logins: measured(100, 15_000), growth: 1.5 });

/** One round of the workloads given, each target at the req/s and server CPU given. */
function run(rounds: Partial<Record<Workload, Partial<Record<Target, [number, number]>>>>): PeersResult {
  const result: PeersResult = {
    options: { rounds: 1, seconds: 1, coldTokens: 10, floodApiRate: 10, targets: [], workloads: [] },
    rounds: {},
    flood: {},
    peerVersions: { 'better-auth': '1.7.0' },
  };
  for (const [workload, byTarget] of Object.entries(rounds) as Array<[Workload, Partial<Record<Target, [number, number]>>]>) {
    result.rounds[workload] = Object.fromEntries(Object.entries(byTarget).map(([target, [rps, cpu]]) => [target, [measured(rps, cpu)]]));
  }
  return result;
}

describe('the peers report and Better Auth', () => {
  it('compares Tessera with Better Auth when Better Auth is the best peer', () => {
    const result = run({
      warm: { tessera: [9_000, 60], 'fastify-jwt': [4_000, 200], 'better-auth-jwt': [6_000, 150], 'better-auth': [1_000, 1_200] },
      refresh: { tessera: [500, 1_700], 'fastify-jwt': [200, 2_000], 'better-auth': [1_000, 1_000] },
    });
    const byWorkload = Object.fromEntries(ratios(result).map((r) => [r.workload, r]));
    expect(byWorkload.warm).toMatchObject({ against: 'best peer (Better Auth JWT plugin + jose)', ratio: 1.5, cpuRatio: 2.5, met: true });
    expect(byWorkload.refresh).toMatchObject({ against: 'best peer (Better Auth (sessions))', ratio: 0.5, met: false });
  });

  it('names both Better Auth targets in the table and the cost row', () => {
    const report = renderPeers(
      run({
        warm: { tessera: [9_000, 60], 'better-auth': [1_000, 1_200], 'better-auth-jwt': [6_000, 150] },
        refresh: { tessera: [500, 1_700], 'better-auth': [250, 2_600], 'better-auth-jwt': [200, 3_400] },
      }),
    );
    expect(report).toContain('| Better Auth (sessions) | 1,000 |');
    expect(report).toContain('| Better Auth JWT plugin + jose | 6,000 |');
    expect(report).toMatch(/Better Auth \(sessions\): \d+ vCPU/);
    expect(report).toContain('better-auth 1.7.0');
  });

  it("gives each target's event-loop CPU beside its whole process's, per request", () => {
    const report = renderPeers(run({ refresh: { tessera: [1_500, 840], 'fastify-jwt': [2_000, 480] } }));
    expect(report).toContain('| server CPU µs/req | of it, event loop | generator CPU µs/req |');
    expect(report).toContain('| Tessera | 1,500 | 1.00 ms | 2.00 ms | 840 | 280 | 50 |');
    expect(report).toContain('| Fastify + @fastify/jwt | 2,000 | 1.00 ms | 2.00 ms | 480 | 160 | 50 |');
  });

  it('gives the event-loop CPU of a login beside its whole CPU in the flood row', () => {
    const result = run({});
    result.flood.tessera = [{ ...flood(), generatorDelay: delays(0.2, 0.4) }];
    expect(renderPeers(result)).toContain('| 15,000 per login | 5,000 per login | 50 per login |');
  });

  it("says how late the load generator's own event loop was without and with the flood, for each target", () => {
    const result = run({});
    result.flood.tessera = [0.5, 0.1, 0.3].map((quiet, i) => ({ ...flood(), generatorDelay: delays(quiet, [2.5, 1.5, 4].at(i)!) }));
    result.flood['fastify-jwt'] = [{ ...flood(), generatorDelay: delays(0.25, 0.75) }];
    expect(renderPeers(result)).toContain('— Tessera 0.30 → 2.50 ms (busy 10% → 30%); Fastify + @fastify/jwt 0.25 → 0.75 ms (busy 10% → 30%).');
  });

  it('takes the mean of the two middle rounds when there is an even number of them, and names the best peer of each round', () => {
    const result = run({ warm: { tessera: [9_000, 60], 'fastify-jwt': [6_000, 100], 'express-jsonwebtoken': [1_000, 400] } });
    const second: Partial<Record<Target, Measurement[]>> = result.rounds.warm!;
    second.tessera!.push(measured(8_000, 60));
    second['fastify-jwt']!.push(measured(2_000, 100));
    second['express-jsonwebtoken']!.push(measured(4_000, 400));
    result.options.rounds = 2;
    // Round 1: 9,000 ÷ 6,000 (fastify-jwt) = 1.5; round 2: 8,000 ÷ 4,000 (Express) = 2: the median is 1.75.
    expect(ratios(result).find((r) => r.workload === 'warm')).toMatchObject({ ratio: 1.75, against: 'best peer (Fastify + @fastify/jwt, Express + jsonwebtoken)' });
  });
});
