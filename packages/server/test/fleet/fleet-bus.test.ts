import { afterEach, describe, expect, it } from 'vitest';
import { FleetBus } from '../../src/fleet/fleet-bus.js';
import type { FleetEvent } from '../../src/fleet/fleet-events.js';
import { REDIS_TIMEOUTS, RedisConnection } from '../../src/fleet/redis-connection.js';
import type { Logger } from '../../src/logger.js';
import { createLogger } from '../../src/logger.js';
import { capturingLogger } from '../support/log-lines.js';
import { freePort } from '../support/ports.js';
import { freshRedisPrefix } from '../support/redis.js';
import { PATIENCE_MS, until } from '../support/wait.js';
import { DedicatedRedis } from '../support/redis-server.js';
import { REDIS_URL, redisAvailable, redisServerInstalled } from '../support/services.js';

const available = (await redisAvailable()) && redisServerInstalled();


describe.skipIf(!available)('the fleet bus (Redis pub/sub)', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  const servers: DedicatedRedis[] = [];
  const publishers = new Map<FleetBus, RedisConnection>();

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
    await Promise.all(servers.splice(0).map((s) => s.kill()));
  });

  function bus(channel: string, url = REDIS_URL, logger: Logger = createLogger('silent')): FleetBus {
    const publisher = new RedisConnection(url, 'commands', 'nothing is published', logger);
    const created = new FleetBus({
      publisher,
      openSubscriber: () => new RedisConnection(url, 'events', 'nothing is heard', logger),
      channel,
      logger,
    });
    opened.push(created, publisher);
    publishers.set(created, publisher);
    return created;
  }

  it('delivers every event type to every other instance and not back to its sender', async () => {
    const channel = `${freshRedisPrefix()}events`;
    const [a, b, c] = [bus(channel), bus(channel), bus(channel)];
    const seen = new Map<FleetBus, FleetEvent[]>([
      [a, []],
      [b, []],
      [c, []],
    ]);
    for (const [listener, events] of seen) {
      listener.on('revoked', (event) => void events.push(event));
      listener.on('keys-changed', (event) => void events.push(event));
      listener.on('settings-changed', (event) => void events.push(event));
    }
    await Promise.all([a.start(), b.start(), c.start()]);

    const sent: FleetEvent[] = [
      { type: 'revoked', entries: [{ jti: 'j', userId: 'u', expiresAt: Date.now() + 60_000 }] },
      { type: 'keys-changed' },
      { type: 'settings-changed', topic: 'rollout' },
    ];
    for (const event of sent) await a.publish(event);
    await until(() => seen.get(b)!.length === 3 && seen.get(c)!.length === 3);
    expect(seen.get(b)).toEqual(sent);
    expect(seen.get(c)).toEqual(sent);
    expect(seen.get(a)).toEqual([]);
    expect(b.stats.received).toBe(3);
  });

  it('ignores malformed messages, resyncs from the database on events it does not understand, and carries on', async () => {
    const channel = `${freshRedisPrefix()}events`;
    const { logger, lines } = capturingLogger();
    const [sender, listener] = [bus(channel), bus(channel, REDIS_URL, logger)];
    const heard: string[] = [];
    listener.on('settings-changed', (event) => void heard.push(event.topic));
    let resyncs = 0;
    listener.onResync(async () => void (resyncs += 1));
    await Promise.all([sender.start(), listener.start()]);
    expect(resyncs).toBe(1); // the first subscription

    const raw = new RedisConnection(REDIS_URL, 'test', 'n/a', createLogger('silent'));
    opened.push(raw);
    await raw.whenReady(2000);
    await raw.redis.publish(channel, 'not json');
    await raw.redis.publish(channel, JSON.stringify({ v: 1, origin: 'future', event: { type: 'sessions-changed' } }));
    await sender.publish({ type: 'settings-changed', topic: 'rollout' });

    await until(() => heard.length === 1 && resyncs === 2);
    expect(listener.stats).toMatchObject({ received: 1, ignored: 1, notUnderstood: 1 });
    expect(lines().filter((l) => l.msg === 'malformed fleet message ignored')).toHaveLength(1);
    expect(lines().filter((l) => String(l.msg).startsWith('fleet message not understood'))).toEqual([
      expect.objectContaining({ reason: 'event type "sessions-changed"', level: 40 }),
    ]);
  });

  it('keeps delivering when a handler throws or rejects', async () => {
    const channel = `${freshRedisPrefix()}events`;
    const { logger, messages } = capturingLogger();
    const [sender, listener] = [bus(channel), bus(channel, REDIS_URL, logger)];
    let calls = 0;
    listener.on('keys-changed', () => {
      throw new Error('boom');
    });
    listener.on('keys-changed', async () => {
      throw new Error('async boom');
    });
    listener.on('keys-changed', () => void (calls += 1));
    await Promise.all([sender.start(), listener.start()]);
    await sender.publish({ type: 'keys-changed' });
    await sender.publish({ type: 'keys-changed' });
    await until(() => calls === 2);
    await until(() => messages().filter((m) => m.startsWith('handling a fleet event failed')).length === 4);
  });

  it('follow: reloads on the event and after every (re)subscription', async () => {
    const redis = await DedicatedRedis.start();
    servers.push(redis);
    const channel = `${freshRedisPrefix()}events`;
    const [sender, listener] = [bus(channel, redis.url), bus(channel, redis.url)];
    let reloads = 0;
    listener.follow('settings-changed', async () => void (reloads += 1));
    await Promise.all([sender.start(), listener.start()]);
    expect(reloads).toBe(1); // the first subscription

    await sender.publish({ type: 'settings-changed', topic: 'rollout' });
    await until(() => reloads === 2);

    await redis.kill();
    await redis.restart();
    await until(() => reloads === 3); // resubscribed: whatever was missed is re-read
    expect(listener.stats.resyncs).toBe(2);
    // The sender's own connection comes back on its own schedule: send once it is back.
    await until(() => sender.announce({ type: 'settings-changed', topic: 'rollout' }), PATIENCE_MS, 'the sender reconnected');
    await until(() => reloads === 4);
  });

  it('a resync handler that fails is logged, and the others still run', async () => {
    const channel = `${freshRedisPrefix()}events`;
    const { logger, messages } = capturingLogger();
    const listener = bus(channel, REDIS_URL, logger);
    let ran = false;
    listener.onResync(async () => {
      throw new Error('database down');
    });
    listener.onResync(async () => void (ran = true));
    await listener.start();
    expect(ran).toBe(true);
    expect(messages()).toContain('fleet resync failed; the next poll retries');
  });

  it('fails fast while Redis is unreachable, logs the outage once, and joins when Redis appears', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const channel = `${freshRedisPrefix()}events`;
    const { logger, messages } = capturingLogger();
    const listener = bus(channel, url, logger);
    let resyncs = 0;
    listener.onResync(async () => void (resyncs += 1));

    await listener.start(); // gives up waiting for Redis after a bound (2 s) and serves on
    expect(messages()).toContain('fleet events unavailable at start: serving on database polling until Redis is reachable');

    // Refused at once rather than queued until Redis comes back (or a timeout).
    await expect(listener.publish({ type: 'keys-changed' })).rejects.toThrow(/enableOfflineQueue/);

    await new Promise((resolve) => setTimeout(resolve, 500)); // several failed reconnection attempts
    const outageWarnings = () => messages().filter((m) => m.startsWith('Redis unreachable')).length;
    expect(outageWarnings()).toBe(2); // once per connection (publisher, subscriber), not once per attempt

    const redis = DedicatedRedis.notStarted(port);
    servers.push(redis);
    await redis.restart();
    await until(() => resyncs === 1);
    const sender = bus(channel, url);
    await sender.publish({ type: 'keys-changed' });
    let heard = false;
    listener.on('keys-changed', () => void (heard = true));
    await sender.publish({ type: 'keys-changed' });
    await until(() => heard);
    expect(messages().filter((m) => m === 'Redis reachable again')).toHaveLength(2);
    expect(outageWarnings()).toBe(2);
    expect(publishers.get(listener)!.outages).toBe(1);
  });

  it('a process that publishes right after connecting (a CLI command) waits for its first connection', async () => {
    const channel = `${freshRedisPrefix()}events`;
    const listener = bus(channel);
    const heard: FleetEvent[] = [];
    listener.on('keys-changed', (event) => void heard.push(event));
    await listener.start();
    const fresh = bus(channel);
    await fresh.publish({ type: 'keys-changed' });
    await until(() => heard.length === 1);
  });

  it('announce never throws: skipped while Redis is down, and a hung Redis costs one timed-out publish a second', async () => {
    const redis = await DedicatedRedis.start();
    servers.push(redis);
    const channel = `${freshRedisPrefix()}events`;
    const { logger, messages, lines } = capturingLogger();
    const [sender, listener] = [bus(channel, redis.url, logger), bus(channel, redis.url)];
    const heard: FleetEvent[] = [];
    listener.on('keys-changed', (event) => void heard.push(event));
    await Promise.all([sender.start(), listener.start()]);
    expect(await sender.announce({ type: 'keys-changed' })).toBe(true);
    await until(() => heard.length === 1);

    // The pause after a failure (1 s) made long, so that however busy the machine, the second announce comes within it.
    const pause = REDIS_TIMEOUTS.pauseAfterFailureMs;
    REDIS_TIMEOUTS.pauseAfterFailureMs = PATIENCE_MS;
    redis.pause();
    try {
      expect(await sender.announce({ type: 'keys-changed' })).toBe(false);
      // Redis is frozen, so only the command timeout could end the wait.
      expect(lines().find((line) => String(line.msg).startsWith('fleet event not sent'))?.err).toMatchObject({ message: 'Command timed out' });
      expect(await sender.announce({ type: 'keys-changed' })).toBe(false); // skipped: Redis failed a moment ago
      expect(messages().filter((m) => m.startsWith('fleet event not sent'))).toHaveLength(1);
    } finally {
      redis.resume();
      REDIS_TIMEOUTS.pauseAfterFailureMs = pause;
    }
    // Running again, Redis delivers what was sent to it meanwhile: the first announce, never the skipped one.
    // Events on one connection arrive in order, so once the next event is heard, anything sent before it was.
    await until(() => heard.length === 2, PATIENCE_MS, 'the timed-out announce delivered late');
    // A new connection is asked at once, whatever the pause: reconnecting ends the long one set above.
    publishers.get(sender)!.redis.disconnect(true);
    await until(async () => await sender.announce({ type: 'keys-changed' }), PATIENCE_MS, 'announcing again');
    await until(() => heard.length >= 3, PATIENCE_MS, 'the next announce heard');
    expect(heard).toHaveLength(3);

    await redis.kill();
    await until(() => publishers.get(sender)!.down, PATIENCE_MS, 'the outage noticed');
    expect(await sender.announce({ type: 'keys-changed' })).toBe(false); // not tried: no 'fleet event not sent' below
    expect(messages().filter((m) => m.startsWith('fleet event not sent'))).toHaveLength(1); // the outage is logged by the connection
  });
});
