import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on a loopback port, forwarding to a real service (PostgreSQL), that the test can cut and
 * restore: a database outage for one instance without stopping the machine's shared database.
 */
export class TcpRelay {
  private readonly sockets = new Set<Socket>();
  private mode: 'open' | 'cut' | 'silent' = 'open';

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<TcpRelay> {
    const server = createServer();
    const relay = new TcpRelay(server);
    server.on('connection', (client) => relay.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Drops every connection; new ones are accepted and dropped at once, as by a dead host. */
  cut(): void {
    this.mode = 'cut';
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * Stops forwarding without closing anything, as a network partition does: connections stay open,
   * nothing arrives, and new connections are accepted and never answered.
   */
  silence(): void {
    this.mode = 'silent';
    for (const socket of this.sockets) socket.unpipe();
  }

  /** Back to forwarding; connections from before a cut or a silence stay dead, as after a real outage. */
  restore(): void {
    if (this.mode === 'silent') this.cut();
    this.mode = 'open';
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    if (this.mode === 'silent') {
      this.sockets.add(client);
      client.on('error', () => undefined);
      client.on('close', () => this.sockets.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }
}
