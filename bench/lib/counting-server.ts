/**
 * A Tessera server whose hourly request counting can be switched off and on between rounds
 * (`POST /bench/counting?on=false`), so one run measures GET /api/users with and without it on the same
 * process, warmed alike. Started by bench/pages.ts as its own process; listens on PORT.
 */
import { loadConfig } from '../../packages/server/src/config.js';
import { buildApp } from '../../packages/server/src/http/app.js';
import { createTessera } from '../../packages/server/src/tessera.js';

const tessera = await createTessera(loadConfig(process.env));
await tessera.start();
const app = await buildApp(tessera);
const counts = tessera.requestCounts;
const count = counts.count.bind(counts);
app.post<{ Querystring: { on?: string } }>('/bench/counting', async (request) => {
  counts.count = request.query.on === 'false' ? () => {} : count;
  return { counting: request.query.on !== 'false' };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => tessera.close()).then(() => process.exit(0)));
