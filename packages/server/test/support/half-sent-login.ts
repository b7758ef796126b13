import { once } from 'node:events';
import { connect } from 'node:net';

/**
 * A login request left in flight: its headers and the first 10 bytes of its body are sent on a raw
 * socket. `finish()` sends the rest and resolves to the whole reply once the server closes the
 * connection.
 */
export async function halfSentLogin(url: string): Promise<{ finish(): Promise<string> }> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ username: 'test', password: 'test123' });
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
  socket.write(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body.slice(0, 10));
  return {
    async finish() {
      socket.write(body.slice(10));
      await once(socket, 'close');
      return reply;
    },
  };
}
