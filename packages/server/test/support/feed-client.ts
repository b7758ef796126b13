import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { RevocationFeedData } from '@tessera/contract';

export interface FeedEvent {
  id: string | undefined;
  event: string | undefined;
  data: RevocationFeedData;
}

export interface FeedConnection {
  status: number;
  /** The error body when the feed refused the connection. */
  body: unknown;
  headers: Headers;
  events: FeedEvent[];
  /** `: heartbeat` comments heard so far. */
  heartbeats: number;
  /** Whether the stream has ended (closed by the server, or by `close()`). */
  ended: boolean;
  /** Resolves with the first event (from now on, or already heard) that `match` accepts. */
  next(match?: (event: FeedEvent) => boolean, timeoutMs?: number): Promise<FeedEvent>;
  close(): void;
}

/** Follows `GET /auth/revocations` as a service would: fetch, parsed by eventsource-parser. */
export async function openFeed(baseUrl: string, token: string | undefined, headers: Record<string, string> = {}): Promise<FeedConnection> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/auth/revocations`, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    signal: abort.signal,
  });
  const events: FeedEvent[] = [];
  const waiters = new Set<() => void>();
  const connection: FeedConnection = {
    status: response.status,
    body: undefined,
    headers: response.headers,
    events,
    heartbeats: 0,
    ended: false,
    next(match = () => true, timeoutMs = 3000) {
      let seen = 0;
      return new Promise<FeedEvent>((resolve, reject) => {
        const check = () => {
          for (; seen < events.length; seen++) {
            if (match(events[seen]!)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(events[seen]!);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching feed event within ${timeoutMs} ms; heard ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
    connection.body = await response.json();
    return connection;
  }
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      events.push({ id: message.id, event: message.event, data: JSON.parse(message.data) as RevocationFeedData });
      for (const waiter of [...waiters]) waiter();
    },
    onComment(comment: string) {
      if (comment.trim() === 'heartbeat') connection.heartbeats += 1;
    },
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // Closed by the test, or by the server.
    }
    connection.ended = true;
  })();
  return connection;
}
