import { bearerChallenge } from '@tessera/contract';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidGrantError, OperatorError, OverloadedError, RateLimitedError, TesseraError, type ErrorCode, type InvalidGrantReason, type OperatorErrorCode } from '../errors.js';

export { RateLimitedError };

/** The longest segment of a path the router reads (a user id, a key id, a username): longer is 414. */
export const MAX_PARAM_LENGTH = 200;

/** The one place where error codes become HTTP statuses. */
export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_credentials: 401,
  unauthorized: 401,
  invalid_token: 401,
  invalid_grant: 401,
  invalid_session: 401,
  insufficient_scope: 403,
  jwt_not_enabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  sessions_disabled: 410,
  request_timeout: 408,
  payload_too_large: 413,
  expectation_failed: 417,
  header_fields_too_large: 431,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  server_error: 500,
  service_unavailable: 503,
  cross_site_request: 403,
  reauth_required: 403,
  temporarily_unavailable: 503,
  invalid_client: 401,
  unsupported_grant_type: 400,
  invalid_target: 400,
  invalid_scope: 400,
  unauthorized_client: 400,
};

/**
 * Operator errors met while serving (a signing key that cannot be opened, …) are the server's fault:
 * the client learns only that, the log says which.
 */
const OPERATOR_ERRORS_ON_HTTP: Record<OperatorErrorCode, ErrorCode> = {
  invalid_configuration: 'server_error',
  production_database: 'server_error',
  key_unavailable: 'server_error',
  seal_failed: 'server_error',
  invalid_command: 'server_error',
  // Both are caught and reported per line by an import; escaping one is a bug.
  unusable_password_hash: 'server_error',
  invalid_import_file: 'server_error',
};

/** Every error body: a stable code and a sentence for people. */
export interface ErrorBody {
  error: ErrorCode;
  error_description: string;
  /** `invalid_grant` only: why the refresh token was refused, for a client choosing what to show. */
  reason?: InvalidGrantReason;
}

const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

/** Maps anything thrown while serving a request to a JSON error; 5xx bodies never carry details. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { code, description } = classify(error, request.routeOptions.schema?.consumes);
  const status = STATUS_OF[code];
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
  }
  // RFC 6749 §5.2: a client that failed HTTP Basic authentication is asked for it again.
  if (code === 'invalid_client') reply.header('www-authenticate', 'Basic realm="tessera", charset="UTF-8"');
  else if (status === 401 || code === 'insufficient_scope') reply.header('www-authenticate', bearerChallenge(code, description));
  if (error instanceof RateLimitedError || error instanceof OverloadedError) reply.header('retry-after', String(error.retryAfterSeconds));
  if (code === 'service_unavailable') reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SECONDS));
  const body: ErrorBody = { error: code, error_description: description };
  if (error instanceof InvalidGrantError) body.reason = error.reason;
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * The code and description a client is told for anything thrown while serving its request; `consumes`,
 * the media types its route reads (the OAuth endpoints: forms), else JSON, for a body of another type.
 */
export function classify(error: FastifyError | Error, consumes: readonly string[] = ['application/json']): { code: ErrorCode; description: string } {
  if (error instanceof TesseraError) return { code: error.code, description: error.description };
  if (error instanceof OperatorError) return { code: OPERATOR_ERRORS_ON_HTTP[error.code], description: 'Internal server error' };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return { code: 'invalid_request', description: describeValidation(fastifyError) };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', description: 'The request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', description: mediaTypeAdvice(consumes) };
    // Fastify's own message would echo the path (up to 16 KiB of it) back.
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 'uri_too_long', description: `A segment of the path is longer than ${MAX_PARAM_LENGTH} characters` };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return { code: 'payload_too_large', description: 'The request body is too large' };
  if (status >= 400 && status < 500) {
    return { code: 'invalid_request', description: error instanceof SyntaxError ? 'The body is not valid JSON' : error.message };
  }
  return { code: 'server_error', description: 'Internal server error' };
}

function mediaTypeAdvice(consumes: readonly string[]): string {
  if (consumes[0] === 'application/x-www-form-urlencoded') return 'Send the body form-encoded, with Content-Type: application/x-www-form-urlencoded';
  return 'Send the body as JSON with Content-Type: application/json';
}

/** "body.username is required", "body.password must be string", … — naming the field at fault. */
function describeValidation(error: FastifyError): string {
  const first = error.validation![0]!;
  const part = error.validationContext ?? 'body';
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  if (missing) return `${part}.${missing} is required`;
  const unknown = (first.params as { additionalProperty?: string }).additionalProperty;
  const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const at = path ? `${part}.${path}` : part;
  if (unknown) return `${at}.${unknown} is not a known parameter`;
  return `${at} ${first.message ?? 'is invalid'}`;
}
