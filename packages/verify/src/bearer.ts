import {
  InvalidTokenError,
  MISSING_BEARER_DESCRIPTION,
  NOT_BEARER_DESCRIPTION,
  SERVICE_ROLE,
  SERVICE_TOKEN_REFUSED_DESCRIPTION,
  TesseraError,
  bearerChallenge,
  isServiceToken,
  repeatedHeaderCheck,
  repeatedHeaderDescription,
  type AccessClaims,
  type ErrorCode,
} from '@tessera/contract';

const repeatedAuthorization = repeatedHeaderCheck(['Authorization']);

/**
 * The token of an `Authorization: Bearer <token>` header; throws a 401 error when there is none, and a
 * 400 when the request's headers as received (`rawHeaders`) carry Authorization twice.
 */
export function readBearerToken(header: string | string[] | undefined, rawHeaders: readonly string[] = []): string {
  if (header === undefined) throw new TesseraError('unauthorized', MISSING_BEARER_DESCRIPTION);
  const repeated = repeatedAuthorization(rawHeaders);
  if (repeated !== undefined) throw new TesseraError('invalid_request', repeatedHeaderDescription(repeated));
  const match = /^Bearer(?:\s+(.*))?$/i.exec(String(header).trim());
  if (!match) throw new TesseraError('unauthorized', NOT_BEARER_DESCRIPTION);
  const token = match[1]?.trim();
  if (!token) throw new InvalidTokenError('malformed');
  return token;
}

/** An HTTP answer to a refused request: the status, headers and body Tessera itself would send. */
export interface RefusalAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: ErrorCode; error_description: string };
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
};

/** Seconds a client waits before retrying while Tessera's keys cannot be fetched, or revocations checked (`onFeedDown: 'refuse'`). */
const RETRY_AFTER_SECONDS = 1;

/** The RFC 6750 answer to an error thrown while authenticating; anything unexpected is a bare 500. */
export function refusalAnswer(error: unknown): RefusalAnswer {
  const known = error instanceof TesseraError && STATUS[error.code] !== undefined;
  const code: ErrorCode = known ? error.code : 'server_error';
  const description = known ? error.description : 'Internal server error';
  const status = STATUS[code] ?? 500;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 401 || code === 'insufficient_scope') headers['www-authenticate'] = bearerChallenge(code, description);
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  return { status, headers, body: { error: code, error_description: description } };
}

/** What a protected route accepts, beside a valid, unrevoked token. */
export interface RequireOptions {
  /**
   * Accept only these roles (403 `insufficient_scope` otherwise). `'service'` here means a service's own
   * token (client credentials), never a user whose role is called `service`, and lets services in.
   */
  roles?: readonly string[];
  /**
   * Accept a service's own token (client credentials: `sub` is the service's client id, `role` is
   * `service`) as well as users' tokens. Off by default, as on Tessera's own routes: `caller.sub` is then
   * always a user's id. A token a service exchanged for a user is a user's, and is accepted either way.
   */
  services?: boolean;
}

/**
 * Refuses (403 `insufficient_scope`) a service's own token where the route does not let services in,
 * and a caller without one of the route's roles: a service holds the `service` role, a user never does,
 * whatever their role is called.
 */
export function authorizeCaller(caller: Pick<AccessClaims, 'client_id' | 'role'>, { roles, services = false }: RequireOptions): void {
  const service = isServiceToken(caller);
  if (service && !services && !roles?.includes(SERVICE_ROLE)) throw new TesseraError('insufficient_scope', SERVICE_TOKEN_REFUSED_DESCRIPTION);
  if (!roles) return;
  if (service ? roles.includes(SERVICE_ROLE) : caller.role !== SERVICE_ROLE && roles.includes(caller.role)) return;
  throw new TesseraError('insufficient_scope', `This endpoint requires an access token with the ${roles.join(' or ')} role`);
}
