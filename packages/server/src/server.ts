import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { createTessera, type Tessera, type TesseraDependencies } from './tessera.js';

export interface RunningServer {
  app: FastifyInstance;
  tessera: Tessera;
  /** The port actually bound (useful with PORT=0). */
  port: number;
  /** Stops accepting connections, lets in-flight requests finish, then releases the store. */
  stop(): Promise<void>;
}

/** Assembles Tessera, loads what it must know before serving (keys, revocations), and listens. */
export async function startServer(config: Config, deps: TesseraDependencies = {}): Promise<RunningServer> {
  const tessera = await createTessera(config, deps);
  try {
    await tessera.start();
    const app = await buildApp(tessera);
    await listen(app, config);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    tessera.logger.info(
      { port, env: config.env, database: config.database.kind, algorithm: config.jwtAlgorithm },
      `Tessera listening on http://localhost:${port}`,
    );
    let stopping: Promise<void> | undefined;
    return {
      app,
      tessera,
      port,
      stop: () =>
        (stopping ??= (async () => {
          await app.close();
          await tessera.close();
        })()),
    };
  } catch (error) {
    await tessera.close();
    throw error;
  }
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // `::` (the default) needs IPv6; without it, fall back to every IPv4 interface.
    const code = (error as NodeJS.ErrnoException).code;
    if (config.host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw error;
    await app.listen({ port: config.port, host: '0.0.0.0' });
  }
}

/** What `stopOnSignals` needs of the process: signals to listen to and a way to exit. */
export interface SignalTarget {
  once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Stops the server on SIGTERM/SIGINT after draining; past the timeout the exit is forced. */
export function stopOnSignals(server: RunningServer, target: SignalTarget = process, drainTimeoutMs = 10_000): void {
  const onSignal = (signal: NodeJS.Signals) => {
    server.tessera.logger.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => target.exit(1), drainTimeoutMs);
    force.unref();
    server.stop().then(
      () => {
        clearTimeout(force);
        target.exit(0);
      },
      (error: unknown) => {
        server.tessera.logger.error({ err: error }, 'shutdown failed');
        target.exit(1);
      },
    );
  };
  target.once('SIGTERM', onSignal);
  target.once('SIGINT', onSignal);
}
