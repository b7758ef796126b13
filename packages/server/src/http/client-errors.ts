import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors.js';
import type { ErrorBody } from './error-handler.js';
import { STATUS_OF } from './error-handler.js';

/** Requests Node's HTTP parser refuses before Fastify sees them, by the parser's error code. */
const CLIENT_ERRORS: Record<string, { code: ErrorCode; description: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'request_timeout', description: 'The request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { code: 'header_fields_too_large', description: "The request's headers are too large" },
};
const NOT_HTTP = { code: 'invalid_request', description: 'The request is not valid HTTP' } as const;

/** The error's answer: its status, the security headers and ours, the JSON error body; the connection closes after it. */
function errorAnswer(code: ErrorCode, description: string, headers: Readonly<Record<string, string>>) {
  const body = JSON.stringify({ error: code, error_description: description } satisfies ErrorBody);
  return {
    status: STATUS_OF[code],
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' },
    body,
  };
}

/** The same answer as raw HTTP, for a socket Node's parser gave up on. */
function rawAnswer(code: ErrorCode, description: string, headers: Readonly<Record<string, string>>): string {
  const answer = errorAnswer(code, description, headers);
  const lines = Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${lines.join('')}\r\n${answer.body}`;
}

/**
 * Fastify's `clientErrorHandler`: a request that is not HTTP Node can parse (a malformed request line, a
 * header line folded or holding a NUL, both Content-Length and Transfer-Encoding), headers over the
 * limit, or a request too slow to arrive is answered with the same JSON error body as every other
 * error, and the security headers, before its connection is closed.
 */
export function answerClientErrors(headers: Readonly<Record<string, string>>): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { code, description } = CLIENT_ERRORS[error.code ?? ''] ?? NOT_HTTP;
    if (socket.writable) socket.end(rawAnswer(code, description, headers));
    socket.destroySoon();
  };
}

/**
 * An `Expect` header other than `100-continue` (RFC 9110 §10.1.1): Node answers `417` with an empty body
 * unless told otherwise; this answers with the JSON error and the security headers, and closes.
 */
export function answerUnmetExpectations(server: Server, headers: Readonly<Record<string, string>>): void {
  const answer = errorAnswer('expectation_failed', 'Only Expect: 100-continue is supported', headers);
  server.on('checkExpectation', (_request: unknown, response: ServerResponse) => {
    response.shouldKeepAlive = false;
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
}

/**
 * `CONNECT` (a request to open a tunnel): Node closes the connection without a word unless someone
 * listens; Tessera is not a proxy, and says so with the JSON error and the security headers.
 */
export function answerConnectRequests(server: Server, headers: Readonly<Record<string, string>>): void {
  server.on('connect', (_request: unknown, socket: Socket) => {
    if (socket.writable) socket.end(rawAnswer('method_not_allowed', 'CONNECT is not allowed: Tessera is not a proxy', headers));
    socket.destroySoon();
  });
}
