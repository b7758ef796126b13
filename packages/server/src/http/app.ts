import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import { Ajv, type ValidateFunction } from 'ajv';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { repeatedHeaderCheck, repeatedHeaderDescription } from '@tessera/contract';
import { TesseraError } from '../errors.js';
import type { Tessera } from '../tessera.js';
import { VERSION } from '../version.js';
import { answerClientErrors, answerConnectRequests, answerUnmetExpectations } from './client-errors.js';
import { capConnectionsPerClient, slowClientDeadlines } from './connection-limits.js';
import { registerCors } from './cors.js';
import { credentialBudgets } from './credential-budgets.js';
import { errorHandler, MAX_PARAM_LENGTH } from './error-handler.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { RequestLog, lazyRequestLogger } from './request-log.js';
import { sessionLogoutKey, tokenLogoutKey } from './logout-keys.js';
import { rateLimitedLogout, registerRateLimit } from './rate-limit.js';
import { accountRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin/index.js';
import { authRoutes } from './routes/auth.js';
import { forwardAuthRoutes } from './routes/forward-auth.js';
import { healthRoutes } from './routes/health.js';
import { jwksRoutes } from './routes/jwks.js';
import { migrationGuideRoutes } from './routes/migration-guide.js';
import { pageRoutes } from './routes/pages.js';
import { discoveryRoutes } from './routes/discovery.js';
import { oauthRoutes } from './routes/oauth.js';
import { revocationFeedRoutes } from './routes/revocations.js';
import { sdkRoutes } from './routes/sdk.js';
import { sessionRoutes } from './routes/sessions.js';
import { userRoutes } from './routes/users.js';
import { isWellFormedHost } from './host-header.js';
import { readJsonBodies } from './json-bodies.js';
import { refuseUnstorableText } from './well-formed-input.js';
import { recordedSecurityHeaders } from './security-headers.js';
import { peerIsTrusted, proxyTrust } from './trusted-proxy.js';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export interface AppOptions {
  /**
   * Whether this listener serves the operator console (/console). By default where CONSOLE_LISTEN says:
   * the public listener with `public`; a separate listener (`HOST:PORT`) builds its own app with `true`.
   */
  console?: boolean;
  /** The built pages' directory (tests point it elsewhere); by default @tessera/web's dist/. */
  pagesRoot?: string;
}

/** Builds the HTTP application around an assembled Tessera. Nothing here reads the environment. */
export async function buildApp(tessera: Tessera, options: AppOptions = {}): Promise<FastifyInstance> {
  const trust = proxyTrust(tessera.config.trustProxy);
  const requests = new RequestLog(tessera.logger);
  const securityHeaders = recordedSecurityHeaders(tessera.config);
  const stamp = responseHeaders(securityHeaders);
  const deadlines = slowClientDeadlines(tessera.config.http);
  const app = Fastify({
    loggerInstance: tessera.logger as FastifyBaseLogger,
    // Without a trusted proxy Fastify's plain request is the same (ip is the TCP peer) and cheaper: given a
    // function, it runs proxy-addr over X-Forwarded-For on every read of request.ip.
    trustProxy: tessera.config.trustProxy === false ? false : trust,
    bodyLimit: tessera.config.http.bodyLimit,
    ...deadlines,
    // Node's own answer to an HTTP/1.1 request without Host is an empty 400; `answerEveryRequest` answers it
    // with the JSON error instead.
    http: { ...deadlines.http, requireHostHeader: false },
    logController: requests,
    childLoggerFactory: (logger, bindings, options) => lazyRequestLogger(tessera.logger, bindings, options),
    requestIdHeader: false,
    // A request id is a proxy's word (it ties our log line to its own); from anyone else it could forge log ids.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      if (typeof incoming !== 'string') return randomUUID();
      return peerIsTrusted(trust, request.socket.remoteAddress) && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What Node's parser refuses (not HTTP, headers over the limit, too slow) gets the JSON error too.
    clientErrorHandler: answerClientErrors(securityHeaders),
    // Errors raised before routing (an undecodable URL) get the same JSON body as every other error.
    // Fastify answers these itself, before any hook: the response headers are set here.
    frameworkErrors: (error, request, reply) => {
      stamp(request, reply);
      return errorHandler(error.code === 'FST_ERR_BAD_URL' ? new TesseraError('invalid_request', 'The URL is malformed') : error, request, reply);
    },
  });
  // Declared up front so every request object has the same shape whether or not a route authenticates.
  app.decorateRequest('principal', undefined);
  useStrictBodyValidation(app);
  readJsonBodies(app);
  refuseUnstorableText(app);
  app.setErrorHandler(errorHandler);
  capConnectionsPerClient(app.server, tessera.config.http.maxConnectionsPerIp, trust);
  answerUnmetExpectations(app.server, securityHeaders);
  answerConnectRequests(app.server, securityHeaders);
  answerEveryRequest(app, stamp);
  closeConnectionsWhenDone(app);

  await registerOpenApi(app, VERSION);
  registerMetrics(app, tessera, requests);
  await app.register(cookie);
  await registerCors(app, tessera.config);
  await registerRateLimit(app, tessera.audit, tessera.fleet?.rateLimit);
  const budgets = credentialBudgets(tessera);

  await app.register(healthRoutes, { tessera });
  await app.register(jwksRoutes, { tessera });
  await app.register(discoveryRoutes, { tessera });
  await app.register(oauthRoutes, { tessera, prefix: '/oauth' });
  await app.register(authRoutes, { tessera, limited: rateLimitedLogout(tessera.config, tokenLogoutKey(tessera)), budgets, prefix: '/auth' });
  await app.register(revocationFeedRoutes, { tessera, prefix: '/auth' });
  await app.register(forwardAuthRoutes, { tessera, prefix: '/auth' });
  await app.register(userRoutes, { tessera, prefix: '/api' });
  await app.register(accountRoutes, { tessera, budgets, prefix: '/api' });
  await app.register(sessionRoutes, { tessera, limited: rateLimitedLogout(tessera.config, sessionLogoutKey(tessera)), budgets, prefix: '/api' });
  await app.register(migrationGuideRoutes);
  await app.register(sdkRoutes, { config: tessera.config });
  await app.register(adminRoutes, { tessera, prefix: '/admin' });
  await app.register(pageRoutes, {
    console: options.console ?? tessera.config.consoleListen === 'public',
    ...(options.pagesRoot === undefined ? {} : { root: options.pagesRoot }),
  });
  return app;
}

/**
 * Two reasons to close a connection after its answer, checked in one hook:
 * - a request routed just before shutdown is answered, but its keep-alive connection must not outlive
 *   it: otherwise the server waits for that idle connection until the drain timeout;
 * - an answer given before the body has arrived (a 429, a 401 from a route guard, a 404) closes its
 *   connection: otherwise the connection stays open, reading the rest of the body to discard it, for as
 *   long as the client keeps trickling it.
 */
function closeConnectionsWhenDone(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing || (!request.raw.complete && hasBody(request))) reply.header('connection', 'close');
    done(null, payload);
  });
}

const hasBody = (request: FastifyRequest) =>
  request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;

/**
 * Bodies are validated without type coercion ({"username": 123} is refused, not turned into "123");
 * query strings and path parameters are coerced, as they only ever arrive as text, but an integer must
 * be written in decimal digits: JavaScript's own reading would take `1e1`, `0x10`, ` 5` and `1.0`.
 */
function useStrictBodyValidation(app: FastifyInstance): void {
  const strict = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, strict: false });
  const lenient = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict.compile(schema) : decimalIntegers(schema, lenient.compile(schema))));
}

const DECIMAL_DIGITS = /^-?[0-9]+$/;

/** `validate`, refusing first any integer field of `schema` that arrives as text other than decimal digits. */
function decimalIntegers(schema: unknown, validate: ValidateFunction): ValidateFunction {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const integers = Object.keys(properties).filter((name) => properties[name]!.type === 'integer');
  if (integers.length === 0) return validate;
  const checked = ((data: Record<string, unknown> | null, context?: Parameters<ValidateFunction>[1]) => {
    const field = integers.find((name) => Array.isArray(data?.[name]) || (typeof data?.[name] === 'string' && !DECIMAL_DIGITS.test(data[name])));
    if (field !== undefined) {
      const message = Array.isArray(data![field]) ? 'must be sent once' : 'must be an integer written in decimal digits';
      checked.errors = [{ keyword: 'type', instancePath: `/${field}`, schemaPath: '', params: {}, message }];
      return false;
    }
    const valid = validate(data, context);
    checked.errors = validate.errors;
    return valid;
  }) as ValidateFunction;
  checked.schemaEnv = validate.schemaEnv;
  return checked;
}

/** Sets what every response carries: the request id and the security headers; no-store where credentials came. */
function responseHeaders(securityHeaders: Readonly<Record<string, string>>): (request: FastifyRequest, reply: FastifyReply) => void {
  // As pairs, made once: `reply.headers(object)` lists the object's keys on every call.
  const headers = Object.entries(securityHeaders);
  return (request, reply) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of headers) reply.header(name, value);
    // What answers a request carrying credentials (a token, a cookie) may be that caller's alone — their
    // account, the users they may see, a refusal naming their token: no browser or shared cache keeps it.
    if (request.headers.authorization !== undefined || request.headers.cookie !== undefined) reply.header('cache-control', 'no-store');
  };
}

/**
 * What every answer carries, set in one hook as each request arrives: its request id and the security
 * headers. And 404 and 405, and requests no route could read right (`unreadable`), are answered there,
 * as soon as the headers are in, without reading the body, and the connection is closed after them: a
 * client cannot hold a connection open by trickling a body to a route that does not exist.
 */
function answerEveryRequest(app: FastifyInstance, stamp: (request: FastifyRequest, reply: FastifyReply) => void): void {
  const refuse = unknownRoute(app);
  app.addHook('onRequest', (request, reply, done) => {
    stamp(request, reply);
    const refused = unreadable(request);
    if (refused !== undefined) {
      reply.header('connection', 'close');
      return done(refused);
    }
    if (!request.is404) return done();
    reply.header('connection', 'close');
    try {
      refuse(request, reply);
    } catch (error) {
      done(error as Error);
    }
  });
  app.setNotFoundHandler(async (request, reply) => refuse(request, reply));
}

/**
 * A request read wrongly if read at all: an HTTP/1.1 request naming no Host, or a Host that is not one
 * (RFC 9112 §3.2); one that repeats a header it may send once (Host, Authorization, Content-Type); or a
 * body in a coding Tessera does not decode (`Content-Encoding: gzip`, `Transfer-Encoding: gzip,
 * chunked`), which would otherwise be parsed as if it were plain.
 */
const repeatedHeader = repeatedHeaderCheck(['Host', 'Authorization', 'Content-Type']);

function unreadable(request: FastifyRequest): TesseraError | undefined {
  const { headers } = request;
  if (headers.host === undefined && request.raw.httpVersion === '1.1') {
    return new TesseraError('invalid_request', 'An HTTP/1.1 request must send a Host header');
  }
  if (headers.host !== undefined && !isWellFormedHost(headers.host)) {
    return new TesseraError('invalid_request', 'The Host header must be a host name or address, with a port if any');
  }
  const repeated = repeatedHeader(request.raw.rawHeaders);
  if (repeated !== undefined) return new TesseraError('invalid_request', repeatedHeaderDescription(repeated));
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return new TesseraError('unsupported_media_type', `Content-Encoding ${JSON.stringify(encoding)} is not supported: send the body uncompressed`);
  }
  const transfer = headers['transfer-encoding'];
  if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') {
    return new TesseraError('unsupported_media_type', `Transfer-Encoding ${JSON.stringify(transfer)} is not supported: only chunked`);
  }
  return undefined;
}

function unknownRoute(app: FastifyInstance): (request: FastifyRequest, reply: FastifyReply) => never {
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of methods) known.add(method);
    methodsByPath.set(route.url, known);
  });
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const allowed = methodsByPath.get(path);
    if (allowed) {
      reply.header('allow', [...allowed].join(', '));
      throw new TesseraError('method_not_allowed', `${request.method} is not allowed on ${path}; use ${[...allowed].join(', ')}`);
    }
    // The path is the client's own, up to 16 KiB of it: named, not echoed whole.
    const shown = path.length > MAX_PARAM_LENGTH ? `${path.slice(0, MAX_PARAM_LENGTH)}…` : path;
    throw new TesseraError('not_found', `No route for ${request.method} ${shown}`);
  };
}
