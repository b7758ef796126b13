/**
 * Tessera as `npm run bench -- peers` races it: the product's own app, plus two routes the peers
 * have too — `/public/users`, the handler of `GET /api/users` without authentication (the ceiling),
 * and `POST /bench/tokens`, access tokens signed with the server's key but never seen by its
 * verifier (the cold workload: each is verified for the first time when it arrives). Listens on PORT.
 * Plain JavaScript over the built server (`npm run build`), like the peers beside it: run through a
 * TypeScript loader it carried the loader's memory and start-up into every RSS figure.
 */
import { ACCESS_TOKEN_TYPE } from '@tessera/contract';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../packages/server/dist/config.js';
import { buildApp } from '../../packages/server/dist/http/app.js';
import { createTessera } from '../../packages/server/dist/tessera.js';

const tessera = await createTessera(loadConfig(process.env));
await tessera.start();
const app = await buildApp(tessera);
const pageJson = new WeakMap();
const toJson = (page) =>
  JSON.stringify(page.users.map((u) => ({ id: u.id, username: u.username, role: u.role, created_at: new Date(u.createdAt).toISOString() })));
app.get('/public/users', async (request, reply) => {
  const page = await tessera.users.list({ limit: Number(request.query.limit ?? 100), offset: Number(request.query.offset ?? 0) });
  let json = pageJson.get(page);
  if (json === undefined) pageJson.set(page, (json = toJson(page)));
  return reply.header('x-total-count', String(page.total)).type('application/json; charset=utf-8').send(json);
});
app.post('/bench/tokens', async (request) => {
  const { users } = await tessera.users.list({ limit: 100, offset: 0 });
  const { kid, alg, key } = tessera.keyRing.signingKey('access');
  const now = Math.floor(Date.now() / 1000);
  const tokens = [];
  for (let i = 0; i < Math.min(200_000, request.body.count); i += 1) {
    const user = users[i % users.length];
    tokens.push(
      await new SignJWT({ role: user.role })
        .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
        .setSubject(user.id)
        .setIssuer(tessera.config.issuer)
        .setAudience(tessera.config.audience)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + tessera.config.accessTokenTtl)
        .sign(key),
    );
  }
  return tokens;
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => tessera.close()).then(() => process.exit(0)));
