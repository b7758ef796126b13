import type { RedisLocation } from '../config.js';
import type { Logger } from '../logger.js';
import { FleetBus } from './fleet-bus.js';
import { FleetRevocationBus } from './fleet-revocation-bus.js';
import { RedisConnection } from './redis-connection.js';
import { SharedRateLimit } from './shared-rate-limit.js';

/** Clients remembered per rate-limited route by the local count (as without Redis). */
const LOCAL_RATE_LIMIT_CLIENTS = 100_000;

/**
 * What the instances of one deployment share through Redis (REDIS_URL): events between them
 * (revocations, key and settings changes) and rate-limit counters. Everything under REDIS_PREFIX.
 * Redis holds nothing that is not also in the database or cheap to lose: losing it costs speed and
 * fleet-wide rate limits for the length of the outage, never a revocation.
 */
export class Fleet {
  readonly bus: FleetBus;
  readonly revocations: FleetRevocationBus;
  readonly rateLimit: SharedRateLimit;

  private constructor(private readonly commands: RedisConnection, location: RedisLocation, logger: Logger) {
    this.bus = new FleetBus({
      publisher: commands,
      openSubscriber: () =>
        new RedisConnection(
          location.url,
          'events',
          'fleet events paused (revocations and key changes arrive by polling the database)',
          logger,
        ),
      channel: `${location.prefix}events`,
      logger,
    });
    this.revocations = new FleetRevocationBus(this.bus);
    this.rateLimit = new SharedRateLimit({
      connection: commands,
      keyPrefix: `${location.prefix}rate-limit:`,
      logger,
      localCapacity: LOCAL_RATE_LIMIT_CLIENTS,
    });
  }

  /** Connects (in the background: an unreachable Redis never stops a start). */
  static open(location: RedisLocation, logger: Logger): Fleet {
    const commands = new RedisConnection(
      location.url,
      'commands',
      'rate limits count per instance and fleet events are not sent',
      logger,
    );
    return new Fleet(commands, location, logger);
  }

  /** True while both connections to Redis are up (events flow and rate limits are shared). */
  get connected(): boolean {
    return this.commands.ready && this.bus.listening;
  }

  /** Resolves once shared counters can be read and written (for a command that must not fall back). */
  whenCountersReady(timeoutMs: number): Promise<void> {
    return this.commands.whenReady(timeoutMs);
  }

  /** Starts listening to the other instances (see `FleetBus.start`). */
  start(): Promise<void> {
    return this.bus.start();
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.commands.close();
  }
}
