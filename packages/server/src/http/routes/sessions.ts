import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../../errors.js';
import type { Tessera } from '../../tessera.js';
import { clientInfo } from '../client-info.js';
import { announceDeprecation, deprecationHeaders } from '../deprecation-headers.js';
import type { CredentialBudgets } from '../credential-budgets.js';
import type { RouteLimit } from '../rate-limit.js';
import { requireSameOriginForCookies } from '../same-origin.js';
import { errorResponses } from '../schemas.js';
import { clearSessionCookie, sessionCookie, setSessionCookie } from '../session-cookie.js';
import { AUTH_BODY_LIMIT, loginBody } from './auth.js';

/** What the legacy session routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type SessionRouteDeps = Pick<Tessera, 'config' | 'sessionLogin' | 'sessionLogout' | 'sessions'>;

const sessionLoginSchema = {
  type: 'object',
  required: ['user', 'expires_at'],
  properties: {
    user: {
      type: 'object',
      required: ['id', 'username', 'role'],
      properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' } },
    },
    expires_at: { type: 'string', format: 'date-time', description: 'the absolute end of the session (SESSION_MAX_AGE)' },
  },
} as const;

const RETIRED = 'Session login has been retired: log in with POST /auth/login and send "Authorization: Bearer <access_token>"';

/**
 * POST /api/login and POST /api/logout: the legacy cookie sessions of the seed's "Before" client,
 * deprecated — every answer says so in its headers — and gone (410) once LEGACY_SESSIONS=off.
 */
export async function sessionRoutes(
  app: FastifyInstance,
  { tessera, limited, budgets }: { tessera: SessionRouteDeps; limited: RouteLimit; budgets: CredentialBudgets },
): Promise<void> {
  const deprecation = deprecationHeaders(tessera.config);
  app.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!tessera.config.legacySessions) throw new TesseraError('sessions_disabled', RETIRED);
    announceDeprecation(reply, deprecation);
    reply.header('cache-control', 'no-store');
  });
  // JSON bodies only: a text/plain body is what a cross-site form or "simple" fetch can send (415).
  app.removeContentTypeParser('text/plain');
  // A logout from a client that sends no body at all.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });

  app.withTypeProvider<JsonSchemaToTsProvider>().post(
    '/login',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: budgets.credential,
      schema: {
        summary: 'Deprecated: log in with a session cookie (use POST /auth/login)',
        description: 'Sets `session_id` (HttpOnly; Secure; SameSite=Lax). Answers 410 once LEGACY_SESSIONS=off.',
        tags: ['sessions (deprecated)'],
        deprecated: true,
        body: loginBody,
        response: { 200: sessionLoginSchema, ...errorResponses(400, 401, 410, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { cookieValue, session, user } = await tessera.sessionLogin.run(
        request.body.username,
        request.body.password,
        clientInfo(request),
      );
      setSessionCookie(reply, cookieValue, tessera.sessions.maxAgeSeconds);
      return {
        user: { id: user.id, username: user.username, role: user.role },
        expires_at: new Date(session.expiresAt).toISOString(),
      };
    },
  );

  app.post(
    '/logout',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      ...limited,
      onRequest: requireSameOriginForCookies(tessera.config),
      schema: {
        summary: 'Deprecated: end the session of the session_id cookie',
        description: 'Idempotent: without a live session there is nothing to end, and the answer is the same.',
        tags: ['sessions (deprecated)'],
        deprecated: true,
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['logged_out'] } } },
          ...errorResponses(400, 403, 410, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      await tessera.sessionLogout.run(sessionCookie(request), clientInfo(request));
      clearSessionCookie(reply);
      return { status: 'logged_out' };
    },
  );
}
