import { InvalidTokenError, MISSING_BEARER_DESCRIPTION, NOT_BEARER_DESCRIPTION, TesseraError, bearerChallenge, type ErrorCode } from '@tessera/contract';

/** The token of an `Authorization: Bearer <token>` header; throws a 401 error when there is none. */
export function readBearerToken(header: string | string[] | undefined): string {
  if (header === undefined) throw new TesseraError('unauthorized', MISSING_BEARER_DESCRIPTION);
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

/** Refuses a caller whose role is not one of `roles` (403 `insufficient_scope`). */
export function requireRoleOf(role: string, roles: readonly string[] | undefined): void {
  if (!roles || roles.includes(role)) return;
  throw new TesseraError('insufficient_scope', `This endpoint requires an access token with the ${roles.join(' or ')} role`);
}
