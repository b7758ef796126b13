/**
 * Memory of the in-memory revocation list holding 1,000,000 live revocations (jtis as we mint them:
 * 16 random bytes in base64url), as heap and RSS growth. Run: `npx tsx bench/revocation-memory.ts`.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../packages/server/src/clock.js';
import { RevocationList } from '../packages/server/src/tokens/revocation-list.js';

const COUNT = Number(process.argv[2] ?? 1_000_000);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function settled(): NodeJS.MemoryUsage {
  gc();
  gc();
  return process.memoryUsage();
}

const list = new RevocationList(systemClock, COUNT);
const before = settled();
const expiresAt = Date.now() + 900_000;
for (let start = 0; start < COUNT; start += 10_000) {
  const batch = Array.from({ length: Math.min(10_000, COUNT - start) }, () => ({
    jti: randomBytes(16).toString('base64url'),
    userId: 'u',
    expiresAt,
  }));
  list.add(batch);
}
const after = settled();
const heap = after.heapUsed - before.heapUsed;
const rss = after.rss - before.rss;
console.log(`revocations held: ${list.size.toLocaleString('en')} (not kept: ${list.evicted})`);
console.log(`heap: +${mib(heap)} (${Math.round(heap / list.size)} bytes each), total ${mib(after.heapUsed)}`);
console.log(`rss:  +${mib(rss)}, total ${mib(after.rss)}`);
