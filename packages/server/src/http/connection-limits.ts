import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { clientKey } from '../client-key.js';
import type { HttpLimits } from '../config.js';
import { peerIsTrusted, type ProxyTrust } from './trusted-proxy.js';

/** How often Node looks for requests past their header or request deadline (its default is 30 s). */
const DEADLINE_CHECK_MS = 1_000;

/**
 * Node's own deadlines for slow clients, from HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT and
 * HTTP_IDLE_TIMEOUT: a request whose headers or body arrive too slowly is answered 408 and its
 * connection closed; a connection on which nothing arrives for the idle timeout is closed.
 */
export function slowClientDeadlines(limits: HttpLimits): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  return {
    requestTimeout: limits.requestTimeout * 1000,
    connectionTimeout: limits.idleTimeout * 1000,
    keepAliveTimeout: limits.idleTimeout * 1000,
    http: { headersTimeout: limits.headersTimeout * 1000, connectionsCheckingInterval: DEADLINE_CHECK_MS },
  };
}

/**
 * At most `max` open connections per client (`clientKey`: an IPv6 client is its /64); one more is
 * closed as soon as it is accepted.
 * Connections from a trusted proxy are not counted: every client behind it shares its address, and
 * the proxy is where their connections are capped (nginx `limit_conn`).
 */
export function capConnectionsPerClient(server: Server, max: number, trust: ProxyTrust): void {
  if (max === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || peerIsTrusted(trust, address)) return;
    const client = clientKey(address);
    const count = open.get(client) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left === 0) open.delete(client);
      else open.set(client, left);
    });
  });
}
