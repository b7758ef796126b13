import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** CPU seconds (user + system, every thread) a process has used so far, from /proc. */
export function processCpuSeconds(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/stat`);
}

/**
 * CPU seconds (user + system) a process's main thread has used so far, from /proc: for a Node.js
 * process, its event loop (and the part of garbage collection done there), without the thread pool,
 * worker threads or V8's helper threads. On Linux the main thread's id is the process id.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`);
}

/** utime + stime (fields 14 and 15 of a /proc stat file, in clock ticks of 1/100 s), in seconds. */
function cpuSecondsIn(statPath: string): number {
  // After the command name (field 2), which is in parentheses and may hold spaces or parentheses itself:
  // fields 14 and 15 are then at indexes 11 and 12.
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident set size now, bytes, from /proc. */
export function processRssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

/**
 * Where the CPU of a stretch of a run went: the server process (all its threads) and this process, the
 * load generator, which shares the machine. Cores = CPU seconds ÷ wall seconds: a server near 1 core is
 * bound by its event loop, a generator near 1 core is bound by itself and says nothing of the server.
 */
export interface CpuUse {
  seconds: number;
  serverCores: number;
  /** The server's main thread alone (its event loop): the part of its CPU that cannot use a second core. */
  eventLoopCores: number;
  generatorCores: number;
  /** Per request answered in the stretch, µs (0 when none was). */
  serverUsPerRequest: number;
  eventLoopUsPerRequest: number;
  generatorUsPerRequest: number;
}

/** Starts measuring; the function returned ends the stretch, given how many requests were answered in it. */
export function cpuMeter(serverPid: number): (requests: number) => CpuUse {
  const server0 = processCpuSeconds(serverPid);
  const eventLoop0 = mainThreadCpuSeconds(serverPid);
  const generator0 = process.cpuUsage();
  const started = performance.now();
  return (requests) => {
    const server = processCpuSeconds(serverPid) - server0;
    const eventLoop = mainThreadCpuSeconds(serverPid) - eventLoop0;
    const generatorUsage = process.cpuUsage(generator0);
    const generator = (generatorUsage.user + generatorUsage.system) / 1e6;
    const seconds = (performance.now() - started) / 1000;
    const perRequest = (cpuSeconds: number) => (requests ? (cpuSeconds * 1e6) / requests : 0);
    return {
      seconds,
      serverCores: server / seconds,
      eventLoopCores: eventLoop / seconds,
      generatorCores: generator / seconds,
      serverUsPerRequest: perRequest(server),
      eventLoopUsPerRequest: perRequest(eventLoop),
      generatorUsPerRequest: perRequest(generator),
    };
  };
}

/** "server 0.93 cores (412 µs/request; its event loop 0.61 cores, 270 µs/request), load generator 0.41 cores (183 µs/request)". */
export function describeCpu(use: CpuUse): string {
  const us = (value: number) => `${Math.round(value).toLocaleString('en-US')} µs/request`;
  const server = `${use.serverCores.toFixed(2)} cores (${us(use.serverUsPerRequest)}; its event loop ${use.eventLoopCores.toFixed(2)} cores, ${us(use.eventLoopUsPerRequest)})`;
  return `server ${server}, load generator ${use.generatorCores.toFixed(2)} cores (${us(use.generatorUsPerRequest)})`;
}

/**
 * The load generator's own event loop over a stretch: the share of it spent running code (Node's
 * event-loop utilization) and how late a 1 ms timer fired (p99 and longest, ms; about 1 ms at p99
 * even on an idle machine). One sample per timer tick, so one long turn counts once however many
 * replies waited in it: a sign of the generator's own delay, not an amount to subtract from a latency.
 */
export interface GeneratorDelay {
  utilization: number;
  p99Ms: number;
  maxMs: number;
}

const DELAY_RESOLUTION_MS = 1;

/**
 * Starts measuring the generator's event loop; the function returned ends the stretch and gives its
 * figures (the first call; later calls, as from a `finally`, give the same figures and stop nothing more).
 */
export function generatorDelayMeter(): () => GeneratorDelay {
  const histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  histogram.enable();
  const elu0 = performance.eventLoopUtilization();
  // The histogram holds the timer's whole interval; its lateness is what exceeds the resolution.
  const late = (ns: number) => Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS);
  let result: GeneratorDelay | undefined;
  return () => {
    if (!result) {
      histogram.disable();
      const { utilization } = performance.eventLoopUtilization(elu0);
      result = { utilization, p99Ms: late(histogram.percentile(99)), maxMs: late(histogram.max) };
    }
    return result;
  };
}
