import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { decodeFleetMessage, encodeFleetMessage, type FleetEvent, type FleetEventOf, type FleetEventType } from './fleet-events.js';
import { REDIS_TIMEOUTS, type RedisConnection } from './redis-connection.js';

type Handler<T extends FleetEventType> = (event: FleetEventOf<T>) => void | Promise<void>;

export interface FleetBusOptions {
  /** Sends events (a subscribed connection can do nothing else, so sending has its own). */
  publisher: RedisConnection;
  /** Opens the connection that listens; called once, by `start()`. */
  openSubscriber: () => RedisConnection;
  /** The Redis channel every instance of the deployment publishes to and listens on. */
  channel: string;
  logger: Logger;
}

/**
 * Events between the instances of a fleet over Redis pub/sub: a revocation, a key rotation or a settings
 * change made on one instance reaches every other at once. Pub/sub keeps nothing for a listener that is
 * away, so after every (re)subscription the instance re-reads from the database whatever the events it
 * may have missed would have told it (`onResync`); its timers re-read it anyway, more slowly.
 */
export class FleetBus {
  /** Identifies this instance's messages, which it ignores when they come back to it. */
  readonly origin = randomUUID();
  /**
   * Events handled from other instances; malformed messages ignored; messages this version could not
   * read (each one answered by a resync); resyncs (after a (re)subscription or such a message).
   */
  readonly stats = { received: 0, ignored: 0, notUnderstood: 0, resyncs: 0 };
  private readonly handlers = new Map<FleetEventType, Array<Handler<FleetEventType>>>();
  private readonly resyncHandlers: Array<() => Promise<void>> = [];
  private subscriber: RedisConnection | undefined;
  private closed = false;
  /** The resync under way, and whether another must follow it (something was missed meanwhile). */
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  /** Reasons already logged at warn level (each is logged once, then at debug level). */
  private readonly reported = new Set<string>();

  constructor(private readonly options: FleetBusOptions) {}

  /** True while this instance is subscribed (false before `start()` and during a Redis outage). */
  get listening(): boolean {
    return this.subscriber?.ready ?? false;
  }

  /** Runs `handler` for every `type` event another instance publishes. */
  on<T extends FleetEventType>(type: T, handler: Handler<T>): void {
    const list = this.handlers.get(type) ?? [];
    list.push(handler as unknown as Handler<FleetEventType>);
    this.handlers.set(type, list);
  }

  /** Runs `handler` after every (re)subscription, when events may have been missed. */
  onResync(handler: () => Promise<void>): void {
    this.resyncHandlers.push(handler);
  }

  /** For state re-read whole from the database (keys, settings): `reload` on each event and on each resync. */
  follow(type: Exclude<FleetEventType, 'revoked'>, reload: () => Promise<void>): void {
    this.on(type, () => reload());
    this.onResync(reload);
  }

  /** Tells every other instance; rejects at once when Redis is unreachable. */
  async publish(event: FleetEvent): Promise<void> {
    const { publisher, channel } = this.options;
    // A process that has only just connected (a CLI command) waits for its first connection.
    if (!publisher.everReady && !publisher.down) await publisher.whenReady(REDIS_TIMEOUTS.connectMs);
    await publisher.redis.publish(channel, encodeFleetMessage({ origin: this.origin, event }));
  }

  /**
   * Tells every other instance if Redis answers; never throws. Events are only hints (the database is
   * the record and every instance re-reads it), so an outage — logged once by the connection — only
   * delays the others until their next poll. Resolves to whether the event was sent.
   */
  async announce(event: FleetEvent): Promise<boolean> {
    const { publisher } = this.options;
    if (publisher.down || (publisher.everReady && !publisher.usable)) return false;
    try {
      await this.publish(event);
      return true;
    } catch (error) {
      publisher.commandFailed();
      this.options.logger.warn({ err: error, type: event.type }, 'fleet event not sent; the other instances catch up by polling');
      return false;
    }
  }

  /**
   * Subscribes, then resyncs. Resolves once both are done — or, when Redis is unreachable, after the
   * connect timeout: the instance then serves on polling alone and subscribes whenever Redis is back.
   */
  async start(): Promise<void> {
    if (this.subscriber) return;
    const subscriber = this.options.openSubscriber();
    this.subscriber = subscriber;
    subscriber.redis.on('message', (_channel: string, raw: string) => this.receive(raw));
    let first: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => (first = resolve));
    subscriber.redis.on('ready', () => {
      void this.subscribeAndResync().then((ok) => ok && first());
    });
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), REDIS_TIMEOUTS.connectMs * 2)));
    const late = await Promise.race([subscribed.then(() => false), gaveUp]);
    clearTimeout(timer);
    if (late) {
      this.options.logger.warn('fleet events unavailable at start: serving on database polling until Redis is reachable');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscriber?.close();
  }

  private async subscribeAndResync(): Promise<boolean> {
    try {
      await this.subscriber!.redis.subscribe(this.options.channel);
    } catch {
      // The connection dropped again before the subscription was made; the next 'ready' retries.
      return false;
    }
    if (this.closed) return false;
    await this.resync();
    return true;
  }

  /**
   * Re-reads from the database what events may have told. Requests arriving while one runs are served
   * by one more run after it (the one under way may have read the database too early), never by more.
   */
  private resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.stats.resyncs += 1;
    this.resyncing = Promise.all(
      this.resyncHandlers.map((handler) =>
        handler().catch((error: unknown) => this.options.logger.warn({ err: error }, 'fleet resync failed; the next poll retries')),
      ),
    ).then(() => {
      this.resyncing = undefined;
      if (!this.resyncAgain || this.closed) return;
      this.resyncAgain = false;
      return this.resync();
    });
    return this.resyncing;
  }

  private receive(raw: string): void {
    const decoded = decodeFleetMessage(raw);
    if (!decoded.ok) {
      if ('notUnderstood' in decoded) return this.notUnderstood(decoded.notUnderstood);
      this.stats.ignored += 1;
      this.options.logger.warn({ reason: decoded.malformed }, 'malformed fleet message ignored');
      return;
    }
    const { origin, event } = decoded.message;
    if (origin === this.origin) return;
    this.stats.received += 1;
    for (const handler of this.handlers.get(event.type) ?? []) {
      try {
        Promise.resolve(handler(event)).catch((error: unknown) => this.failed(event.type, error));
      } catch (error) {
        this.failed(event.type, error);
      }
    }
  }

  /**
   * A message from a newer instance (a rolling deploy): what it said is not known, so everything an event
   * could have said is re-read from the database at once — never dropped, never left to the next poll.
   */
  private notUnderstood(reason: string): void {
    this.stats.notUnderstood += 1;
    const first = !this.reported.has(reason);
    if (first && this.reported.size < 100) this.reported.add(reason);
    const log = first ? this.options.logger.warn.bind(this.options.logger) : this.options.logger.debug.bind(this.options.logger);
    log({ reason }, 'fleet message not understood (from a newer instance?); re-reading revocations, keys and settings from the database');
    void this.resync();
  }

  private failed(type: FleetEventType, error: unknown): void {
    this.options.logger.warn({ err: error, type }, 'handling a fleet event failed; the next poll catches up');
  }
}
