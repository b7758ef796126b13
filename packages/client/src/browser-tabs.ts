import type { HeldToken, TabCoordination, TabMessage } from './tab-coordination.js';

/** The parts of the Web Locks API used here. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface BrowserGlobals {
  navigator?: { locks?: LockManagerLike };
  BroadcastChannel?: new (name: string) => ChannelLike;
  localStorage?: StorageLike;
}

/** How long a tab waits for another to hand over its token before refreshing itself. */
const ASK_TIMEOUT_MS = 250;
/**
 * How long a tab keeps the lock after its refresh (its callers have the token already): tabs run in
 * separate processes, and the next tab to take the lock must first see the broadcast token and the
 * storage written, which Chromium delivers between processes within milliseconds, not at once.
 */
const SETTLE_MS = 100;

/**
 * Browser tabs of one origin, coordinated with the Web Locks API (one refresh at a time across tabs)
 * and a BroadcastChannel (the new access token handed to the others). The refresh cookie is shared by
 * every tab, so without this two tabs would present the same refresh token. Only a timestamp goes to
 * localStorage (when the newest token expires), never a token: it tells a tab that another one holds a
 * fresher token worth asking for instead of refreshing. Undefined where the APIs are missing.
 */
export function browserTabs(name: string, globals: BrowserGlobals = globalThis as unknown as BrowserGlobals): TabCoordination | undefined {
  const locks = globals.navigator?.locks;
  const Channel = globals.BroadcastChannel;
  if (!locks || !Channel) return undefined;
  const channel = new Channel(name);
  const marker = `${name}:fresh-until`;
  const listeners: ((message: TabMessage) => void)[] = [];
  channel.addEventListener('message', (event) => {
    for (const listener of listeners) listener(event.data as TabMessage);
  });
  const freshUntil = (): number => {
    try {
      return Number(globals.localStorage?.getItem(marker) ?? 0);
    } catch {
      return Number.POSITIVE_INFINITY; // storage refused (private mode): assume another tab may have one
    }
  };
  return {
    exclusive: (work) =>
      new Promise((resolve, reject) => {
        void locks.request(name, async () => {
          try {
            resolve(await work());
          } catch (error) {
            reject(error);
          }
          await new Promise((settled) => setTimeout(settled, SETTLE_MS));
        });
      }),
    askOthers(than) {
      if (freshUntil() <= Math.max(Date.now(), than?.expiresAt ?? 0)) return Promise.resolve(null);
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(null), ASK_TIMEOUT_MS);
        const done = (held: HeldToken | null) => {
          clearTimeout(timer);
          const index = listeners.indexOf(listener);
          if (index >= 0) listeners.splice(index, 1);
          resolve(held);
        };
        const listener = (message: TabMessage) => {
          if (message.type === 'token' && message.held.expiresAt > Math.max(Date.now(), than?.expiresAt ?? 0)) done(message.held);
        };
        listeners.push(listener);
        channel.postMessage({ type: 'ask' } satisfies TabMessage);
      });
    },
    tell: (message) => channel.postMessage(message),
    listen: (listener) => listeners.push(listener),
    markFreshUntil(expiresAt) {
      try {
        globals.localStorage?.setItem(marker, String(expiresAt));
      } catch {
        // Storage refused: other tabs then ask before refreshing, which costs them a short wait only.
      }
    },
    close: () => channel.close(),
  };
}
