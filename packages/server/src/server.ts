import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { createTessera, type Tessera, type TesseraDependencies } from './tessera.js';

export interface RunningServer {
  app: FastifyInstance;
  /** With CONSOLE_LISTEN=HOST:PORT: the listener serving the operator console, and the port it bound. */
  consoleListener: { app: FastifyInstance; port: number } | undefined;
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
    const port = boundPort(app, config.port);
    tessera.logger.info(
      { port, env: config.env, database: config.database.kind, algorithm: config.jwtAlgorithm },
      `Tessera listening on http://localhost:${port}`,
    );
    const consoleListener = await listenForConsole(tessera).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
    let stopping: Promise<void> | undefined;
    return {
      app,
      consoleListener,
      tessera,
      port,
      stop: () =>
        (stopping ??= (async () => {
          await consoleListener?.app.close();
          await app.close();
          await tessera.close();
        })()),
    };
  } catch (error) {
    await tessera.close();
    throw error;
  }
}

function boundPort(app: FastifyInstance, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : fallback;
}

/**
 * CONSOLE_LISTEN=HOST:PORT: a second listener, e.g. on an internal address, serving the console with
 * the API it calls; the public listener then has no /console. With `off` (production's default) the
 * console is served nowhere, with `public` on the main listener.
 */
async function listenForConsole(tessera: Tessera): Promise<RunningServer['consoleListener']> {
  const where = tessera.config.consoleListen;
  if (where === 'off') tessera.logger.info('the operator console is not served (CONSOLE_LISTEN=off); set CONSOLE_LISTEN=127.0.0.1:5001 to serve it on an internal address');
  if (typeof where === 'string') return undefined;
  const app = await buildApp(tessera, { console: true });
  await app.listen({ host: where.host, port: where.port });
  const port = boundPort(app, where.port);
  tessera.logger.info({ port, host: where.host }, `Tessera console listening on http://${where.host.includes(':') ? `[${where.host}]` : where.host}:${port}/console`);
  return { app, port };
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
