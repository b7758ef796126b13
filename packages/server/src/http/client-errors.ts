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

/** A complete answer of the error, with the security headers, that closes the connection. */
function rawAnswer(code: ErrorCode, description: string, headers: Readonly<Record<string, string>>): string {
  const body = JSON.stringify({ error: code, error_description: description } satisfies ErrorBody);
  const status = STATUS_OF[code];
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    lines.join('') +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
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
  const body = JSON.stringify({ error: 'expectation_failed', error_description: 'Only Expect: 100-continue is supported' } satisfies ErrorBody);
  server.on('checkExpectation', (_request: unknown, response: ServerResponse) => {
    response.shouldKeepAlive = false;
    response.writeHead(STATUS_OF.expectation_failed, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
}
