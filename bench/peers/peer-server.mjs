/**
 * The peers of `npm run bench -- peers`: what Tessera's users would write instead, each serving the same
 * routes over the same SQLite data with the same argon2id cost and the same page cache as Tessera.
 * Copied into the scratch folder where the peers' packages are installed at run time (never Tessera
 * dependencies) and started there as its own process. Tessera's own copies of better-sqlite3 and
 * @node-rs/argon2 are used, so storage and hashing are the same code for everyone.
 *
 *   PEER=express-jsonwebtoken | fastify-jwt | fastify (bare: no authentication, the ceiling)
 *        | better-auth | better-auth-jwt (Better Auth 1.x: better-auth-peer.mjs, copied beside this file)
 *   PORT, DATABASE (SQLite file seeded by the harness), PRIVATE_KEY / PUBLIC_KEY (PEM, RS256), TESSERA_ROOT,
 *   ARGON2_OPTIONS (JSON: Tessera's argon2id cost, for the peers that hash new passwords themselves)
 *
 * Routes: GET /api/users (Bearer access token), GET /public/users (same handler, no authentication),
 * POST /auth/login, POST /auth/refresh (opaque refresh tokens stored as SHA-256 hashes, rotated in one
 * transaction of 4 statements), POST /bench/tokens (fresh access tokens for the cold workload).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const fromTessera = createRequire(join(process.env.TESSERA_ROOT, 'package.json'));
const Database = fromTessera('better-sqlite3');
const argon2 = fromTessera('@node-rs/argon2');
const peer = process.env.PEER;
const privateKey = process.env.PRIVATE_KEY;
const publicKey = process.env.PUBLIC_KEY;
const ACCESS_SECONDS = 900;
const REFRESH_SECONDS = 30 * 86_400;

const db = new Database(process.env.DATABASE);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const byUsername = db.prepare('SELECT id, role, password_hash FROM users WHERE username = ?');
const roleOf = db.prepare('SELECT role FROM users WHERE id = ?');
const pageOf = db.prepare('SELECT id, username, role, created_at FROM users ORDER BY created_at, id LIMIT ? OFFSET ?');
const countUsers = db.prepare('SELECT count(*) AS n FROM users');
const insertRefresh = db.prepare('INSERT INTO refresh_tokens (hash, user_id, family, expires_at) VALUES (?, ?, ?, ?)');
const findRefresh = db.prepare('SELECT user_id, family, used, expires_at FROM refresh_tokens WHERE hash = ?');
const useRefresh = db.prepare('UPDATE refresh_tokens SET used = 1 WHERE hash = ? AND used = 0');

// The page cache: the JSON of each page, made once (Tessera keeps its pages the same way).
const pages = new Map();
function pageJson(limit, offset) {
  const key = `${limit}:${offset}`;
  let json = pages.get(key);
  if (json === undefined) {
    const users = pageOf.all(limit, offset).map((u) => ({ id: u.id, username: u.username, role: u.role, created_at: new Date(u.created_at).toISOString() }));
    json = JSON.stringify(users);
    pages.set(key, json);
  }
  return { json, total: countUsers.get().n };
}
const pageQuery = (query) => [Math.min(1000, Math.max(1, Number(query.limit ?? 100) || 100)), Math.max(0, Number(query.offset ?? 0) || 0)];

const hashOf = (token) => createHash('sha256').update(token).digest('base64url');
function newRefresh(userId, family) {
  const token = randomBytes(32).toString('base64url');
  insertRefresh.run(hashOf(token), userId, family, Date.now() + REFRESH_SECONDS * 1000);
  return token;
}
/** One rotation: read, mark used, write the next, read the role — 4 statements in one transaction. */
const rotate = db.transaction((token) => {
  const hash = hashOf(token);
  const row = findRefresh.get(hash);
  if (!row || row.used || row.expires_at <= Date.now()) return undefined;
  if (useRefresh.run(hash).changes !== 1) return undefined;
  const next = newRefresh(row.user_id, row.family);
  return { userId: row.user_id, role: roleOf.get(row.user_id).role, refresh: next };
});

async function login(body, sign) {
  const user = typeof body?.username === 'string' ? byUsername.get(body.username) : undefined;
  if (!user || typeof body.password !== 'string' || !(await argon2.verify(user.password_hash, body.password))) return undefined;
  return { access_token: await sign({ sub: user.id, role: user.role }), refresh_token: newRefresh(user.id, randomUUID()), token_type: 'Bearer', expires_in: ACCESS_SECONDS };
}
async function refresh(body, sign) {
  const rotated = typeof body?.refresh_token === 'string' ? rotate(body.refresh_token) : undefined;
  if (!rotated) return undefined;
  return { access_token: await sign({ sub: rotated.userId, role: rotated.role }), refresh_token: rotated.refresh, token_type: 'Bearer', expires_in: ACCESS_SECONDS };
}
async function mint(body, sign) {
  const ids = db.prepare('SELECT id, role FROM users LIMIT 100').all();
  const tokens = [];
  for (let i = 0; i < Math.min(200_000, Number(body?.count) || 0); i += 1) {
    const user = ids[i % ids.length];
    tokens.push(await sign({ sub: user.id, role: user.role, jti: randomUUID() }));
  }
  return tokens;
}

const unauthorized = { error: 'unauthorized', error_description: 'invalid credentials' };

if (peer === 'express-jsonwebtoken') {
  const { default: express } = await import('express');
  const jwt = (await import('jsonwebtoken')).default;
  const sign = (claims) => jwt.sign(claims, privateKey, { algorithm: 'RS256', expiresIn: ACCESS_SECONDS });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  const requireToken = (req, res, next) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return res.status(401).json(unauthorized);
    try {
      req.user = jwt.verify(header.slice(7), publicKey, { algorithms: ['RS256'] });
      next();
    } catch {
      res.status(401).json(unauthorized);
    }
  };
  const users = (req, res) => {
    const { json, total } = pageJson(...pageQuery(req.query));
    res.set('x-total-count', String(total)).type('application/json').send(json);
  };
  app.get('/api/users', requireToken, users);
  app.get('/public/users', users);
  const post = (path, handle) =>
    app.post(path, async (req, res) => {
      const result = await handle(req.body, sign);
      if (result === undefined) res.status(401).json(unauthorized);
      else res.json(result);
    });
  post('/auth/login', login);
  post('/auth/refresh', refresh);
  post('/bench/tokens', mint);
  app.get('/readyz', (_req, res) => res.json({ status: 'ready' }));
  app.listen(Number(process.env.PORT), '127.0.0.1');
} else if (peer === 'fastify-jwt' || peer === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  let sign = async () => {
    throw new Error('bare Fastify signs nothing');
  };
  let guard = {};
  if (peer === 'fastify-jwt') {
    const { default: fastifyJwt } = await import('@fastify/jwt');
    await app.register(fastifyJwt, {
      secret: { private: privateKey, public: publicKey },
      sign: { algorithm: 'RS256', expiresIn: ACCESS_SECONDS * 1000 },
      verify: { algorithms: ['RS256'] },
    });
    sign = (claims) => app.jwt.sign(claims);
    guard = {
      preHandler: async (request, reply) => {
        try {
          await request.jwtVerify();
        } catch {
          return reply.code(401).send(unauthorized);
        }
      },
    };
  }
  const users = async (request, reply) => {
    const { json, total } = pageJson(...pageQuery(request.query));
    return reply.header('x-total-count', String(total)).type('application/json; charset=utf-8').send(json);
  };
  app.get('/api/users', peer === 'fastify' ? {} : guard, users);
  app.get('/public/users', users);
  const post = (path, handle) =>
    app.post(path, async (request, reply) => {
      const result = await handle(request.body, sign);
      return result === undefined ? reply.code(401).send(unauthorized) : result;
    });
  post('/auth/login', login);
  post('/auth/refresh', refresh);
  post('/bench/tokens', mint);
  app.get('/readyz', async () => ({ status: 'ready' }));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
} else if (peer === 'better-auth' || peer === 'better-auth-jwt') {
  const { serveBetterAuth } = await import('./better-auth-peer.mjs');
  const argon2Options = JSON.parse(process.env.ARGON2_OPTIONS);
  await serveBetterAuth({ peer, db, port: Number(process.env.PORT), pageJson, pageQuery, argon2, argon2Options, unauthorized });
} else {
  throw new Error(`unknown PEER ${peer}`);
}
process.on('SIGTERM', () => process.exit(0));
