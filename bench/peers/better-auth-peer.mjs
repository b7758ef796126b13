/**
 * Better Auth 1.x as a peer of `npm run bench -- peers`, started by peer-server.mjs in the same scratch
 * folder (Better Auth, Fastify and jose are installed there at run time, never Tessera dependencies).
 *
 *   better-auth      Better Auth's default: a database session, checked with `auth.api.getSession` on every
 *                    protected request (no cookie cache, the default). The client sends its session token as
 *                    `Authorization: Bearer`, which Better Auth's bearer() plugin turns into the session cookie.
 *   better-auth-jwt  Better Auth's jwt() plugin (RS256 key pair) issues 15-minute access tokens for the session;
 *                    the protected route verifies them with jose against the plugin's JWKS, loaded once at start
 *                    as a local key set (what a resource server does).
 *
 * Better Auth's own schema (user, session, account, verification, jwks) is created with its migrations in
 * the peers' SQLite file, and the harness's 1,000 users are copied into it with the same argon2id hash as a
 * `credential` account. The harness's routes call Better Auth's server functions (`auth.api.*`):
 * login is `signInEmail` (the email looked up by username); refresh is, for better-auth, Better Auth's
 * session renewal (`getSession` extending the session's expiry — the token stays the same, nothing is
 * rotated; forced on every call here, where Better Auth's default does it at most once a day per session)
 * and, for better-auth-jwt, a new JWT for the session (`getToken`).
 */
/* global Headers, Request */
import { randomBytes, randomUUID } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { fromNodeHeaders } from 'better-auth/node';
import { bearer, jwt } from 'better-auth/plugins';
import { serializeSignedCookie } from 'better-call';
import Fastify from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';

const SESSION_SECONDS = 7 * 86_400; // Better Auth's default session lifetime
const JWT_SECONDS = 15 * 60; // the jwt() plugin's default expirationTime

/**
 * Serves one of the two Better Auth targets on `port`. `db` is the peers' better-sqlite3 database, shared
 * with the page handler; `argon2` and `argon2Options` are Tessera's own, so hashing costs what it does
 * everywhere else.
 */
export async function serveBetterAuth({ peer, db, port, pageJson, pageQuery, argon2, argon2Options, unauthorized }) {
  const baseURL = `http://127.0.0.1:${port}`;
  const withJwt = peer === 'better-auth-jwt';
  const secret = randomBytes(32).toString('base64url');
  const options = (session) => ({
    appName: 'tessera-bench',
    baseURL,
    secret,
    database: db,
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    emailAndPassword: {
      enabled: true,
      password: { hash: (password) => argon2.hash(password, argon2Options), verify: ({ hash, password }) => argon2.verify(hash, password) },
    },
    plugins: [bearer(), ...(withJwt ? [jwt({ jwks: { keyPairConfig: { alg: 'RS256', modulusLength: 2048 } } })] : [])],
    ...(session ? { session } : {}),
  });
  const auth = betterAuth(options());
  const { runMigrations } = await getMigrations(options());
  await runMigrations();
  await seedUsers(db, auth);
  // The refresh route's renewal, forced on every call: the same configuration with updateAge 0.
  const renewer = withJwt ? undefined : betterAuth(options({ updateAge: 0 }));

  const emailOf = db.prepare('SELECT email FROM "user" WHERE name = ?');
  const bearerHeaders = (token) => new Headers({ authorization: `Bearer ${token}` });
  const context = await auth.$context;
  const benchUsers = await context.internalAdapter.listUsers(100);
  /** The session token as the bearer() plugin hands it out in `set-auth-token`: signed with the secret. */
  const signed = async (token) => decodeURIComponent((await serializeSignedCookie('', token, secret)).slice(1));

  let verifyAccess;
  let accessFor;
  let expiresIn = SESSION_SECONDS;
  if (withJwt) {
    const keys = createLocalJWKSet(await auth.api.getJwks());
    verifyAccess = (token) => jwtVerify(token, keys, { algorithms: ['RS256'], issuer: baseURL, audience: baseURL });
    accessFor = async (session) => (await auth.api.getToken({ headers: bearerHeaders(session) })).token;
    expiresIn = JWT_SECONDS;
  } else {
    // All the request's headers, as Better Auth's Fastify guide passes them (its bearer() plugin reads
    // the Authorization header among them).
    verifyAccess = async (_token, request) => {
      if (!(await auth.api.getSession({ headers: fromNodeHeaders(request.headers) }))) throw new Error('no session');
    };
    accessFor = async (session) => session;
  }
  const credentials = async (session) => ({ access_token: await accessFor(session), refresh_token: session, token_type: 'Bearer', expires_in: expiresIn });

  async function login(body) {
    const email = typeof body?.username === 'string' ? emailOf.get(body.username)?.email : undefined;
    if (!email || typeof body.password !== 'string') return undefined;
    const { headers } = await auth.api.signInEmail({ body: { email, password: body.password }, returnHeaders: true });
    return credentials(headers.get('set-auth-token'));
  }
  async function refresh(body) {
    if (typeof body?.refresh_token !== 'string') return undefined;
    if (withJwt) return credentials(body.refresh_token);
    const { headers, response } = await renewer.api.getSession({ headers: bearerHeaders(body.refresh_token), returnHeaders: true });
    if (!response) return undefined;
    return credentials(headers.get('set-auth-token') ?? body.refresh_token);
  }
  /** Fresh credentials for the cold workload, made without argon2: new sessions, or new JWTs. */
  async function mint(body) {
    const count = Math.min(200_000, Number(body?.count) || 0);
    const tokens = [];
    for (let i = 0; i < count; i += 50) {
      const batch = Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
        const user = benchUsers[(i + j) % benchUsers.length];
        if (!withJwt) return signed((await context.internalAdapter.createSession(user.id)).token);
        // The payload getToken gives a session (the user, sub, iat) and a jti, so no two are the same.
        const payload = { iat: Math.floor(Date.now() / 1000), ...user, sub: user.id, jti: randomUUID() };
        return (await auth.api.signJWT({ body: { payload } })).token;
      });
      tokens.push(...(await Promise.all(batch)));
    }
    return tokens;
  }

  const app = Fastify({ logger: false });
  // Better Auth's own routes, mounted as its Fastify integration guide shows.
  app.route({
    method: ['GET', 'POST'],
    url: '/api/auth/*',
    async handler(request, reply) {
      const url = new URL(request.url, `http://${request.headers.host}`);
      const req = new Request(url.toString(), {
        method: request.method,
        headers: fromNodeHeaders(request.headers),
        ...(request.body ? { body: JSON.stringify(request.body) } : {}),
      });
      const response = await auth.handler(req);
      reply.status(response.status);
      response.headers.forEach((value, key) => reply.header(key, value));
      return reply.send(response.body ? await response.text() : null);
    },
  });
  const guard = {
    preHandler: async (request, reply) => {
      const header = request.headers.authorization;
      try {
        if (!header?.startsWith('Bearer ')) throw new Error('no bearer token');
        await verifyAccess(header.slice(7), request);
      } catch {
        return reply.code(401).send(unauthorized);
      }
    },
  };
  const users = async (request, reply) => {
    const { json, total } = pageJson(...pageQuery(request.query));
    return reply.header('x-total-count', String(total)).type('application/json; charset=utf-8').send(json);
  };
  app.get('/api/users', guard, users);
  app.get('/public/users', users);
  const post = (path, handle) =>
    app.post(path, async (request, reply) => {
      let result;
      try {
        result = await handle(request.body);
      } catch (error) {
        // Better Auth answers refused credentials with an APIError (401); anything else is a fault.
        if (error?.statusCode !== 401) throw error;
      }
      return result === undefined ? reply.code(401).send(unauthorized) : result;
    });
  post('/auth/login', login);
  post('/auth/refresh', refresh);
  post('/bench/tokens', mint);
  app.get('/readyz', async () => ({ status: 'ready' }));
  await app.listen({ port, host: '127.0.0.1' });
}

/** The harness's users (the peers' `users` table), each with the shared argon2id hash as its credential account. */
async function seedUsers(db, auth) {
  const { internalAdapter } = await auth.$context;
  const rows = db.prepare('SELECT username, password_hash FROM users ORDER BY created_at, id').all();
  db.exec('CREATE INDEX IF NOT EXISTS user_name ON "user" (name)');
  for (const row of rows) {
    const user = await internalAdapter.createUser({ name: row.username, email: `${row.username}@bench.example`, emailVerified: true });
    await internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: row.password_hash });
  }
}
