import formBody from '@fastify/formbody';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../errors.js';
import type { Tessera } from '../../tessera.js';
import { refuseSecondClientAuthentication, requireServiceClient } from '../client-authentication.js';
import { clientInfo } from '../client-info.js';
import { errorResponses } from '../schemas.js';

/** What the OAuth routes use: service credentials, grants, introspection and revocation. */
export type OAuthRouteDeps = Pick<Tessera, 'oauth'>;

type Param = string | string[] | undefined;

const oneOrMany = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;
const tokenRequest = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string' },
    resource: oneOrMany,
    scope: { type: 'string' },
    // RFC 8693 token exchange: the user a service hands over, named by id or username.
    subject_token: { type: 'string', maxLength: 256 },
    subject_token_type: { type: 'string', maxLength: 256 },
    requested_token_type: { type: 'string', maxLength: 256 },
    audience: oneOrMany,
    actor_token: { type: 'string', maxLength: 8192 },
    actor_token_type: { type: 'string', maxLength: 256 },
  },
} as const;
const tokenOperand = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', maxLength: 8192 }, token_type_hint: { type: 'string' } },
} as const;
const tokenResponse = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string', description: 'token exchange only: the refresh token of the new login' },
    issued_token_type: { type: 'string', description: 'token exchange only (RFC 8693): urn:ietf:params:oauth:token-type:access_token' },
  },
  additionalProperties: true,
} as const;
const introspectionResponse = {
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    ...Object.fromEntries(['sub', 'role', 'client_id', 'jti', 'iss', 'token_type'].map((name) => [name, { type: 'string' }])),
    exp: { type: 'integer' },
    iat: { type: 'integer' },
    aud: oneOrMany,
  },
} as const;

/** Parameters a request may name several times: RFC 8707 resources and RFC 8693 audiences. */
const MANY_VALUED = new Set(['resource', 'audience']);

/** RFC 6749 §3.1: a parameter is sent once; which of two values counted would depend on who read it. */
function refuseRepeatedParameters(body: Record<string, Param>): void {
  const repeated = Object.keys(body).find((name) => Array.isArray(body[name]) && !MANY_VALUED.has(name));
  if (repeated !== undefined) throw new TesseraError('invalid_request', `Send ${repeated} once`);
}

/**
 * The OAuth endpoints for services, each authenticated by the service's credentials (HTTP Basic):
 * POST /oauth/token (RFC 6749; one handler per grant type), POST /oauth/introspect (RFC 7662),
 * POST /oauth/revoke (RFC 7009). Their bodies are form-encoded, as the RFCs say, here only.
 */
export async function oauthRoutes(app: FastifyInstance, { tessera }: { tessera: OAuthRouteDeps }): Promise<void> {
  // Form bodies only (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1): JSON or text gets 415 saying so.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  await app.register(formBody, { bodyLimit: 16 * 1024 });
  const authenticateClient = requireServiceClient(tessera.oauth.credentials);
  app.addHook('preValidation', async (request) => {
    // No body at all is no fields: the answer names the first one missing, not the body's type.
    request.body ??= {};
    refuseRepeatedParameters(request.body as Record<string, Param>);
    refuseSecondClientAuthentication(request.body, request.serviceClient!);
  });
  const security = [{ clientBasic: [] }];

  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  // Typed by hand: a grant reads the parameters it knows, and RFC 6749 wants the others ignored, not refused.
  app.post<{ Body: Record<string, Param> & { grant_type: string } }>(
    '/token',
    {
      onRequest: authenticateClient,
      schema: {
        summary: 'Token endpoint (grant_type=client_credentials or RFC 8693 token exchange; HTTP Basic client authentication)',
        tags: ['oauth'],
        security,
        consumes: ['application/x-www-form-urlencoded'],
        body: tokenRequest,
        response: { 200: tokenResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      if (request.body.scope !== undefined) {
        throw new TesseraError('invalid_scope', "Tessera issues no scopes: leave scope out (a token's audience and role say what it opens)");
      }
      const grant = tessera.oauth.grants.handler(request.body.grant_type);
      if (!grant) {
        const supported = tessera.oauth.grants.types.join(', ');
        throw new TesseraError('unsupported_grant_type', `grant_type ${JSON.stringify(request.body.grant_type)} is not supported here; use ${supported}`);
      }
      const response = await grant({ client: request.serviceClient!, params: request.body, from: clientInfo(request) });
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
    },
  );

  typed.post(
    '/introspect',
    {
      onRequest: authenticateClient,
      schema: {
        summary: 'Token introspection (RFC 7662)',
        tags: ['oauth'],
        security,
        consumes: ['application/x-www-form-urlencoded'],
        body: tokenOperand,
        response: { 200: introspectionResponse, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const answer = await tessera.oauth.introspection.introspect(request.body.token, request.serviceClient!);
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );

  typed.post(
    '/revoke',
    {
      onRequest: authenticateClient,
      schema: {
        summary: 'Token revocation (RFC 7009): 200 whether or not the token was known',
        tags: ['oauth'],
        security,
        consumes: ['application/x-www-form-urlencoded'],
        body: tokenOperand,
        response: { 200: { type: 'object' }, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { token, token_type_hint: hint } = request.body;
      await tessera.oauth.revocation.revoke(token, hint, request.serviceClient!, clientInfo(request));
      return {};
    },
  );
}
