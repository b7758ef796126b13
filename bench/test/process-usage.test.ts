import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { describeCpu, mainThreadCpuSeconds, processCpuSeconds } from '../lib/process-usage.js';

/** A worker thread that spins until its own thread has used `seconds` of CPU, as the OS counts it. */
const WORKER = `
const { readFileSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const own = () => { const s = readFileSync('/proc/thread-self/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const start = own();
while (own() - start < workerData.seconds) for (let i = 0; i < 1e5; i += 1);
parentPort.postMessage('done');
`;

describe('CPU per thread', () => {
  it("counts a worker thread's CPU in the process's but not in the main thread's (the event loop's)", async () => {
    const process0 = processCpuSeconds(process.pid);
    const main0 = mainThreadCpuSeconds(process.pid);
    const worker = new Worker(WORKER, { eval: true, workerData: { seconds: 0.3 } });
    await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    expect(processCpuSeconds(process.pid) - process0).toBeGreaterThanOrEqual(0.3);
    expect(mainThreadCpuSeconds(process.pid) - main0).toBeLessThan(0.15);
  });

  it("counts the main thread's own work in both", () => {
    const process0 = processCpuSeconds(process.pid);
    const main0 = mainThreadCpuSeconds(process.pid);
    const start = mainThreadCpuSeconds(process.pid);
    while (mainThreadCpuSeconds(process.pid) - start < 0.2) for (let i = 0; i < 1e5; i += 1);
    expect(mainThreadCpuSeconds(process.pid) - main0).toBeGreaterThanOrEqual(0.2);
    expect(processCpuSeconds(process.pid) - process0).toBeGreaterThanOrEqual(0.2);
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
