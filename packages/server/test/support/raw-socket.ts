import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A raw TCP connection to a test server, from `localAddress` (any of 127.0.0.0/8), that records what it receives. */
export interface RawConnection {
  socket: Socket;
  /** Everything the server has sent so far. */
  received(): string;
  /** Resolves with everything the server sent, once it has closed the connection. */
  closed: Promise<string>;
  write(text: string): void;
}

export async function rawConnection(url: string, localAddress = '127.0.0.1'): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect({ port: Number(port), host: hostname, localAddress });
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
  socket.on('error', () => {}); // a reset is one way of being closed
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(reply)));
  await once(socket, 'connect');
  return {
    socket,
    received: () => reply,
    closed,
    write: (text) => {
      if (!socket.destroyed) socket.write(text);
    },
  };
}

/** Sends one complete request on a connection of its own and resolves with the whole reply. */
export async function rawRequest(url: string, request: string, localAddress = '127.0.0.1'): Promise<string> {
  const connection = await rawConnection(url, localAddress);
  connection.write(request);
  return connection.closed;
}

/**
 * Writes one byte of `text` after another until the server closes the connection (or the text runs
 * out); resolves with what the server replied. `pauseMs` is only the trickle's pace, never measured.
 */
export async function trickle(connection: RawConnection, text: string, pauseMs: number): Promise<string> {
  let closed = false;
  void connection.closed.then(() => (closed = true));
  for (const char of text) {
    if (closed) break;
    connection.write(char);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return connection.closed;
}
