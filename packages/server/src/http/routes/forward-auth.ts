import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate as authenticateCaller, type AuthenticationDeps } from '../authenticate.js';
import { allowedOrigins, assertSameOriginForSession, carriesCredentialCookie } from '../same-origin.js';
import { errorResponses } from '../schemas.js';

/** What the forward-auth route uses: what authenticating a request uses. */
export type ForwardAuthRouteDeps = AuthenticationDeps;

type Done = (error?: Error) => void;

/** The headers a proxy hands to the upstream; a proxy must strip any copy a client sent (docs/nginx-auth-request.conf does). */
export const FORWARD_AUTH_HEADERS = {
  user: 'x-auth-request-user',
  role: 'x-auth-request-role',
  via: 'x-auth-request-via',
  error: 'x-auth-request-error',
  errorDescription: 'x-auth-request-error-description',
} as const;

/** The original request's method, as nginx (`X-Original-Method`, set by our configuration) and Traefik (`X-Forwarded-Method`) pass it. */
const ORIGINAL_METHOD = 'x-original-method';
const FORWARDED_METHOD = 'x-forwarded-method';

/**
 * GET /auth/verify, for nginx `auth_request`, Traefik ForwardAuth and Envoy `ext_authz`: a valid access
 * token — or, while LEGACY_SESSIONS=on, a valid session cookie — is answered 200 with the user id, role
 * and how they authenticated in `X-Auth-Request-*` headers; anything else as on every protected route
 * (401 with the RFC 6750 challenge, 403 for a forged cross-site cookie request), the error's code and
 * description also in headers so the proxy can answer JSON. Nothing is read but headers.
 */
export async function forwardAuthRoutes(app: FastifyInstance, { tessera }: { tessera: ForwardAuthRouteDeps }): Promise<void> {
  const origins = allowedOrigins(tessera.config);
  // `auth_request` turns every request into a GET: the method that decides the origin check is the original one.
  const checkOriginalOrigin = (request: FastifyRequest, _reply: FastifyReply, done: Done): void => {
    if (!carriesCredentialCookie(request)) return done();
    const original = request.headers[ORIGINAL_METHOD] ?? request.headers[FORWARDED_METHOD];
    try {
      assertSameOriginForSession(request, origins, typeof original === 'string' ? original.toUpperCase() : request.method);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
  app.get(
    '/verify',
    {
      onRequest: [checkOriginalOrigin, authenticateCaller(tessera)],
      onSend: describeRefusal,
      schema: {
        summary: 'Forward authentication for proxies (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz)',
        description:
          'Checks the Bearer access token (or, while LEGACY_SESSIONS=on, the session cookie). 200: the caller is in ' +
          'X-Auth-Request-User, X-Auth-Request-Role and X-Auth-Request-Via (jwt or session). X-Original-Method (nginx) or ' +
          'X-Forwarded-Method (Traefik) names the method of the request being authorised, for the cross-site check of cookie requests.',
        tags: ['auth'],
        security: [{ bearerAuth: [] }],
        headers: {
          type: 'object',
          properties: {
            [ORIGINAL_METHOD]: { type: 'string', maxLength: 16, description: 'the method of the original request (nginx)' },
            [FORWARDED_METHOD]: { type: 'string', maxLength: 16, description: 'the method of the original request (Traefik ForwardAuth), read when X-Original-Method is absent' },
          },
        },
        response: { 200: { type: 'null', description: 'authenticated; identity in the X-Auth-Request-* headers' }, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const caller = request.principal!;
      return reply
        .header(FORWARD_AUTH_HEADERS.user, caller.userId)
        .header(FORWARD_AUTH_HEADERS.role, caller.role)
        .header(FORWARD_AUTH_HEADERS.via, caller.via)
        .header('cache-control', 'no-store')
        .code(200)
        .send();
    },
  );
}

/** Copies a refusal's code and description into headers: a proxy sees only the subrequest's headers. */
async function describeRefusal(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
  try {
    const { error, error_description: description } = JSON.parse(payload) as { error?: string; error_description?: string };
    if (error) reply.header(FORWARD_AUTH_HEADERS.error, error);
    if (description) reply.header(FORWARD_AUTH_HEADERS.errorDescription, asJsonStringContent(description));
  } catch {
    // Not one of our JSON error bodies: nothing to copy.
  }
  return payload;
}

/** The text as it goes between the quotes of a JSON string, in ASCII: the proxy pastes it into its JSON body. */
function asJsonStringContent(text: string): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
