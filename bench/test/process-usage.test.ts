import { isMainThread, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { describeCpu, mainThreadCpuSeconds, processCpuSeconds } from '../lib/process-usage.js';

/**
 * A worker thread that spins until the process has used `seconds` more CPU: the main thread meanwhile
 * only waits for its message, so that CPU is the worker's.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const used = (since) => { const { user, system } = process.cpuUsage(since); return (user + system) / 1e6; };
const start = process.cpuUsage();
while (used(start) < workerData.seconds) for (let i = 0; i < 1e5; i += 1);
parentPort.postMessage('done');
`;

/** CPU used since `from` (seconds), in whole clock ticks of 1/100 s: the unit the OS counts in. */
const ticksSince = (from: number, now: number) => Math.round((now - from) * 100);

describe('CPU per thread', () => {
  // The main thread of this process is the one measured: in a worker the test would prove nothing.
  it('runs on the main thread of its process', () => expect(isMainThread).toBe(true));

  it("counts a worker thread's CPU in the process's but not in the main thread's (the event loop's)", async () => {
    const process0 = processCpuSeconds(process.pid);
    const main0 = mainThreadCpuSeconds(process.pid);
    const worker = new Worker(WORKER, { eval: true, workerData: { seconds: 0.3 } });
    await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    // The process's count may trail its threads' by a tick or two.
    expect(ticksSince(process0, processCpuSeconds(process.pid))).toBeGreaterThanOrEqual(28);
    expect(ticksSince(main0, mainThreadCpuSeconds(process.pid))).toBeLessThan(15);
  });

  it("counts the main thread's own work in the process's too", () => {
    const process0 = processCpuSeconds(process.pid);
    const main0 = mainThreadCpuSeconds(process.pid);
    while (ticksSince(main0, mainThreadCpuSeconds(process.pid)) < 20) for (let i = 0; i < 1e5; i += 1);
    expect(ticksSince(process0, processCpuSeconds(process.pid))).toBeGreaterThanOrEqual(18);
  });

  it("says how much of the server's CPU its event loop took, beside the whole process's and the load generator's", () => {
    const line = describeCpu({
      seconds: 10,
      serverCores: 0.93,
      eventLoopCores: 0.61,
      generatorCores: 0.41,
      serverUsPerRequest: 412,
      eventLoopUsPerRequest: 270,
      generatorUsPerRequest: 1_183,
    });
    expect(line).toBe('server 0.93 cores (412 µs/request; its event loop 0.61 cores, 270 µs/request), load generator 0.41 cores (1,183 µs/request)');
  });
});
