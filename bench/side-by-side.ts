/**
 * Races two Tessera servers that are already running (say, two builds) on GET /api/users and POST
 * /auth/refresh, in alternating rounds of one run: the ratio second/first is what the change costs.
 * Both must be in development mode (the seeded test/test123 user logs in) with the refresh ceilings
 * off (REFRESH_RATE_LIMIT=0, REFRESH_IP_RATE_LIMIT=0, AUTH_RATE_LIMIT=0). Given the servers' process
 * ids, it also gives each server's CPU time per request. `npm run bench -- versus --before <checkout>`
 * starts both servers itself.
 *
 *   npx tsx bench/side-by-side.ts --first http://127.0.0.1:5611 --second http://127.0.0.1:5612 --rounds 4 --seconds 2
 *   npx tsx bench/side-by-side.ts --first http://127.0.0.1:5611 --first-pid 1234 --second http://127.0.0.1:5612 --second-pid 1240
 */
import { parseArgs } from 'node:util';
import { compareServers, renderVersus } from './scenarios/versus.js';

const { values } = parseArgs({
  options: {
    first: { type: 'string' },
    second: { type: 'string' },
    'first-pid': { type: 'string' },
    'second-pid': { type: 'string' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
  },
});
if (!values.first || !values.second) {
  console.error('usage: side-by-side --first URL [--first-pid PID] --second URL [--second-pid PID] [--rounds N] [--seconds S]');
  process.exit(2);
}
const pid = (value: string | undefined) => (value === undefined ? undefined : Number(value));
const result = await compareServers(
  { name: values.first, url: values.first, pid: pid(values['first-pid']) },
  { name: values.second, url: values.second, pid: pid(values['second-pid']) },
  { rounds: Number(values.rounds), seconds: Number(values.seconds), concurrency: Number(values.concurrency) },
);
console.log(renderVersus(result));
