/**
 * How many slow connections one client address can hold open against a Tessera server, and for how
 * long: each sends the headers of a login and then one body byte every `--drip` seconds (the
 * slowloris-style client of issue 12). Prints what was accepted, refused and cut, and when.
 *
 *   npx tsx bench/slow-clients.ts --url http://127.0.0.1:5000 --connections 400 --drip 20 --observe 70
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:5000' },
    connections: { type: 'string', default: '400' },
    drip: { type: 'string', default: '20' },
    observe: { type: 'string', default: '70' },
    from: { type: 'string', default: '127.0.0.1' },
    other: { type: 'string', default: '127.0.0.2' },
  },
});
const { hostname, port } = new URL(values.url);
const count = Number(values.connections);
const dripMs = Number(values.drip) * 1000;
const observeMs = Number(values.observe) * 1000;
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;

interface Held {
  socket: Socket;
  closedAt?: number;
  reply: string;
}

function open(localAddress: string): Promise<Held> {
  return new Promise((resolve) => {
    const held: Held = { socket: connect({ host: hostname, port: Number(port), localAddress }), reply: '' };
    held.socket.on('data', (chunk: Buffer) => (held.reply += chunk.toString()));
    held.socket.on('error', () => {});
    held.socket.on('close', () => (held.closedAt = elapsed()));
    held.socket.once('connect', () => {
      held.socket.write(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      resolve(held);
    });
    held.socket.once('close', () => resolve(held));
  });
}

async function probe(localAddress: string): Promise<string> {
  const held = await open(localAddress).catch(() => undefined);
  if (!held) return 'no connection';
  // its login body never comes: what matters is whether the connection was accepted and kept
  await new Promise((r) => setTimeout(r, 300));
  const state = held.closedAt === undefined ? 'accepted' : `closed at once${held.reply ? ` (${held.reply.split('\r\n')[0]})` : ''}`;
  held.socket.destroy();
  return state;
}

const all: Held[] = [];
for (let i = 0; i < count; i += 1) all.push(await open(values.from));
const drip = setInterval(() => {
  for (const held of all) if (held.closedAt === undefined) held.socket.write(' ');
}, dripMs);

const opened = elapsed();
await new Promise((r) => setTimeout(r, 2000));
const snapshot = elapsed();
// Closed without a word before any deadline could pass: refused by the connection cap.
const refusedAtOnce = all.filter((h) => h.closedAt !== undefined && !h.reply).length;
const sameAddress = await probe(values.from);
const otherAddress = await request(values.url + '/healthz', { dispatcher: new Agent({ localAddress: values.other }), headersTimeout: 5000 })
  .then((r) => `HTTP ${r.statusCode}`)
  .catch((e: Error) => e.message);
console.log(`${count} slow connections from ${values.from}, one byte every ${dripMs / 1000} s`);
console.log(`  opened in ${opened.toFixed(1)} s; refused at once (closed, no reply): ${refusedAtOnce}; held: ${count - refusedAtOnce}`);
console.log(`  while they are held: a new connection from ${values.from}: ${sameAddress}; GET /healthz from ${values.other}: ${otherAddress}`);

for (let t = 10; t * 1000 <= observeMs; t += 10) {
  await new Promise((r) => setTimeout(r, Math.max(0, t * 1000 - (performance.now() - started))));
  console.log(`  at ${t} s: ${all.filter((h) => h.closedAt === undefined).length} still open`);
}
clearInterval(drip);
const wasCut = (h: Held) => h.closedAt !== undefined && (h.reply !== '' || h.closedAt > snapshot);
const cut = all.filter(wasCut).map((h) => h.closedAt!);
const statuses = new Map<string, number>();
for (const h of all.filter(wasCut)) {
  const line = h.reply.split('\r\n')[0] || '(no reply)';
  statuses.set(line, (statuses.get(line) ?? 0) + 1);
}
console.log(
  cut.length
    ? `  cut by the server: ${cut.length}, between ${Math.min(...cut).toFixed(1)} s and ${Math.max(...cut).toFixed(1)} s, answered ${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')}`
    : '  cut by the server: none',
);
console.log(`  still open after ${observeMs / 1000} s: ${all.filter((h) => h.closedAt === undefined).length}`);
for (const held of all) held.socket.destroy();
