import { REVOCATION_FEED_EVENTS, type RevocationFeedData } from '@tessera/contract';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { RevocationState } from './revocation-state.js';

export type FeedStatus = 'connecting' | 'live' | 'down' | 'closed';

export interface FeedSubscriptionOptions {
  url: string;
  /** A bearer token allowed to read the feed (a service's or an operator's), fetched again after a 401; `signal` ends with the attempt. */
  credentials: (signal: AbortSignal) => Promise<string>;
  state: RevocationState;
  /** Silence longer than this (ms) means the connection is dead: reconnect. Above the issuer's heartbeat. */
  silenceMs: number;
  /**
   * A connection that has not delivered its first event within this (ms) — no response headers, or
   * only comments — has failed: reconnect. The issuer sends a snapshot (or, resuming, the revocations
   * missed) as soon as a subscriber connects.
   */
  connectTimeoutMs: number;
  now: () => number;
  /** Told of every change of status, and why. */
  onStatus?: (status: FeedStatus, reason?: string) => void;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Follows the issuer's revocation feed (Server-Sent Events, parsed by eventsource-parser) into a
 * `RevocationState`: a snapshot replaces it, updates add to it. Reconnects after any failure or silence,
 * with `Last-Event-ID`, so it resumes without a gap; backs off up to 5 s between attempts.
 *
 * A connection counts only once it delivers an event: until then (headers, comments) it has
 * `connectTimeoutMs` to do so, after which it is given up as failed — so the first attempt always
 * settles within that time, whatever the other end does. Once an event arrived, anything at all
 * (heartbeat comments too) keeps it alive, and `silenceMs` without anything drops it.
 */
export class FeedSubscription {
  status: FeedStatus = 'connecting';
  /** The id of the last event applied: where a reconnection resumes. */
  lastEventId: string | undefined;
  private abort: AbortController | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private token: string | undefined;
  private stopped = false;
  /** Whether the current connection has delivered an event. */
  private current = false;
  private firstSettled: () => void = () => undefined;
  /** Resolves once the first attempt succeeded (snapshot applied) or failed, within `connectTimeoutMs`. */
  readonly settled = new Promise<void>((resolve) => (this.firstSettled = resolve));

  constructor(private readonly options: FeedSubscriptionOptions) {}

  start(): void {
    void this.connect();
  }

  close(): void {
    this.stopped = true;
    this.setStatus('closed');
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    this.abort?.abort();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const abort = new AbortController();
    this.abort = abort;
    this.current = false;
    this.expectFirstEvent(abort);
    try {
      // Credentials that never come must not hold this attempt for ever: the abort ends the wait, and a retry asks again.
      this.token ??= await untilAborted(this.options.credentials(abort.signal), abort.signal);
      const response = await fetch(this.options.url, {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${this.token}`,
          ...(this.lastEventId ? { 'last-event-id': this.lastEventId } : {}),
        },
        signal: abort.signal,
      });
      if (response.status === 401) this.token = undefined; // expired: fetch another next time
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new Error(`the revocation feed answered ${response.status}`);
      }
      await this.read(response.body);
      throw new Error('the revocation feed closed the connection');
    } catch (error) {
      if (this.stopped) return;
      // Aborted by a timer: its reason says why, better than the fetch's own error.
      const reason = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason : error;
      this.setStatus('down', reason instanceof Error ? reason.message : String(reason));
      this.firstSettled();
      clearTimeout(this.watchdog);
      abort.abort();
      this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const parser = createParser({ onEvent: (message) => this.apply(message) });
    const decoder = new TextDecoder();
    for await (const chunk of body) {
      this.heard();
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
  }

  private apply(message: EventSourceMessage): void {
    const nowSeconds = Math.floor(this.options.now() / 1000);
    const data = JSON.parse(message.data) as RevocationFeedData;
    if (message.event === REVOCATION_FEED_EVENTS.snapshot) this.options.state.replace(data, nowSeconds);
    else if (message.event === REVOCATION_FEED_EVENTS.revocations) this.options.state.add(data, nowSeconds);
    else return; // an event a newer issuer sends and this version does not know: the contract lets it be ignored
    if (message.id) this.lastEventId = message.id;
    this.retryMs = RETRY_MIN_MS;
    this.current = true;
    this.heard();
    this.setStatus('live');
    this.firstSettled();
  }

  /**
   * A new connection has `connectTimeoutMs` to deliver its first event. If it does not, it is aborted,
   * and the feed is down from that moment (verifications waiting for the first attempt go on), even
   * if what it waits on (the credentials, say) does not heed the abort.
   */
  private expectFirstEvent(abort: AbortController): void {
    clearTimeout(this.watchdog);
    const ms = this.options.connectTimeoutMs;
    this.watchdog = setTimeout(() => {
      const reason = new Error(`the revocation feed sent no event within ${ms} ms of connecting`);
      abort.abort(reason);
      if (this.stopped) return;
      this.setStatus('down', reason.message);
      this.firstSettled();
    }, ms);
    this.watchdog.unref();
  }

  /** Anything arrived on a connection that has delivered an event: it is alive; silence from now on is measured afresh. */
  private heard(): void {
    if (!this.current) return;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.abort?.abort(new Error('the revocation feed fell silent')), this.options.silenceMs);
    this.watchdog.unref();
  }

  private setStatus(status: FeedStatus, reason?: string): void {
    if (this.status === status || this.status === 'closed') return;
    this.status = status;
    this.options.onStatus?.(status, reason);
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it is aborted. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = () => reject(signal.reason);
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}
