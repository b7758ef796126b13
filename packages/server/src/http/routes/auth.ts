import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { InvalidSessionError, TesseraError } from '../../errors.js';
import type { Tessera } from '../../tessera.js';
import { bearerToken } from '../authenticate.js';
import { clientInfo } from '../client-info.js';
import { announceDeprecation, deprecationHeaders } from '../deprecation-headers.js';
import { refreshClaimsOf } from '../refresh-claims.js';
import { clearRefreshCookie, refreshCookie } from '../refresh-cookie.js';
import type { CredentialBudgets } from '../credential-budgets.js';
import type { RouteLimit } from '../rate-limit.js';
import { requireSameOriginForCookies } from '../same-origin.js';
import { errorResponses, refreshTokenDeliverySchema, tokenPairSchema } from '../schemas.js';
import { clearSessionCookie, sessionCookie } from '../session-cookie.js';
import { sendTokenPair } from '../token-pair-reply.js';

/** What the token routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AuthRouteDeps = Pick<Tessera, 'config' | 'login' | 'logout' | 'refreshRotation' | 'refreshTokens' | 'sessionExchange'>;

/** Auth endpoints accept small JSON bodies only. */
export const AUTH_BODY_LIMIT = 4096;

export const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

/** POST /auth/login's body: the credentials, and where the refresh token should go. */
const jwtLoginBody = {
  ...loginBody,
  properties: { ...loginBody.properties, refresh_token_delivery: refreshTokenDeliverySchema },
} as const;

const sessionExchangeBody = {
  type: 'object',
  properties: { refresh_token_delivery: refreshTokenDeliverySchema },
} as const;

const refreshTokenBody = {
  type: 'object',
  properties: {
    refresh_token: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const;

/** /auth/login, /auth/refresh, /auth/logout, /auth/session/exchange. */
export async function authRoutes(
  app: FastifyInstance,
  { tessera, limited, budgets }: { tessera: AuthRouteDeps; limited: RouteLimit; budgets: CredentialBudgets },
): Promise<void> {
  // JSON bodies only: a text/plain body is what a cross-site form or "simple" fetch can send (415).
  app.removeContentTypeParser('text/plain');
  const sameOrigin = requireSameOriginForCookies(tessera.config);
  // Browsers refresh and log out with the cookie alone and send no body at all.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });
  app.addHook('onSend', async (_request, reply) => {
    // RFC 6749 §5.1: responses carrying tokens must not be cached.
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
  });
  // Body types come from the JSON schemas below.
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  typed.post(
    '/login',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: budgets.credential,
      schema: {
        summary: 'Log in with username and password',
        tags: ['auth'],
        body: jwtLoginBody,
        response: { 200: tokenPairSchema, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const pair = await tessera.login.run(request.body.username, request.body.password, clientInfo(request));
      return sendTokenPair(reply, pair, request.body.refresh_token_delivery);
    },
  );

  typed.post(
    '/refresh',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: [sameOrigin, budgets.refreshIp],
      preHandler: budgets.refreshFamily,
      schema: {
        summary: 'Trade a refresh token (body or cookie) for a new token pair',
        tags: ['auth'],
        body: refreshTokenBody,
        response: { 200: tokenPairSchema, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const fromBody = request.body.refresh_token;
      const token = fromBody ?? refreshCookie(request);
      if (!token) {
        throw new TesseraError('invalid_request', 'body.refresh_token is required (or the __Secure-refresh_token cookie)');
      }
      // Checked once per request: the per-family budget before the route may have checked it already.
      const pair = await tessera.refreshRotation.rotate(token, clientInfo(request), refreshClaimsOf(request, token, tessera.refreshTokens));
      // A refresh made with the HttpOnly cookie (a browser) gets its successor in the cookie only: a page's
      // scripts never see a refresh token, so a script injected into one cannot carry one away.
      return sendTokenPair(reply, pair, fromBody === undefined ? 'cookie' : 'body_and_cookie');
    },
  );

  typed.post(
    '/logout',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      ...limited,
      onRequest: sameOrigin,
      schema: {
        summary: "Log out this device: revoke the refresh token's family and the access token",
        tags: ['auth'],
        body: refreshTokenBody,
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['logged_out'] } } },
          ...errorResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      // Whatever the answer, this browser asked to be signed out: its refresh cookie goes, even when
      // the token it held is refused (forged, or ended already) and nothing is left to revoke.
      clearRefreshCookie(reply);
      const refreshToken = request.body.refresh_token ?? refreshCookie(request);
      // Checked once per request: the logout limit may have checked it already to find the login it counts under.
      const check = refreshToken ? refreshClaimsOf(request, refreshToken, tessera.refreshTokens) : undefined;
      await tessera.logout.run({ accessToken: bearerToken(request), refreshToken }, clientInfo(request), check);
      return { status: 'logged_out' as const };
    },
  );

  const deprecation = deprecationHeaders(tessera.config);
  typed.post(
    '/session/exchange',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: [sameOrigin, budgets.credential],
      schema: {
        summary: 'Trade the session_id cookie for a token pair; the session ends',
        description:
          'Moves a logged-in session user to JWTs without the password. Same answer as POST /auth/login; ' +
          'refused with 403 jwt_not_enabled (session kept) for a user outside the rollout.',
        tags: ['auth'],
        security: [{ sessionCookie: [] }],
        body: sessionExchangeBody,
        response: { 200: tokenPairSchema, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const cookie = sessionCookie(request);
      if (cookie === undefined) {
        throw new TesseraError('unauthorized', 'Send the session_id cookie of a logged-in session (from POST /api/login)');
      }
      if (!tessera.config.legacySessions) throw new InvalidSessionError('retired');
      announceDeprecation(reply, deprecation);
      const pair = await tessera.sessionExchange.run(cookie, clientInfo(request));
      clearSessionCookie(reply);
      return sendTokenPair(reply, pair, request.body.refresh_token_delivery);
    },
  );
}

