/**
 * A Tessera server with two extra routes that share one handler: `/bench/public` without
 * authentication and `/bench/protected` behind the authentication step of `/api/*` (Bearer, else session cookie). Started by
 * the overhead scenario as its own process; listens on PORT.
 */
import { loadConfig } from '../../packages/server/src/config.js';
import { buildApp } from '../../packages/server/src/http/app.js';
import { authenticate } from '../../packages/server/src/http/authenticate.js';
import { createTessera } from '../../packages/server/src/tessera.js';

const tessera = await createTessera(loadConfig(process.env));
await tessera.start();
const app = await buildApp(tessera);
const handler = async () => ({ status: 'ok' });
const schema = { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } };
app.get('/bench/public', { schema }, handler);
app.get('/bench/protected', { schema, preHandler: authenticate(tessera) }, handler);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => tessera.close()).then(() => process.exit(0)));
