/**
 * Where token mode keeps the refresh token between runs: an app's keychain, AsyncStorage, a file. Async
 * because mobile storage is. Browser cookie mode needs none: the refresh token lives in an HttpOnly cookie.
 */
export interface TokenStorage {
  get(): Promise<string | null>;
  set(refreshToken: string): Promise<void>;
  remove(): Promise<void>;
  /**
   * Whether every tab of this browser reads and writes the same token here (`localStorage`): the tabs
   * must then take turns refreshing, or two of them present one refresh token at once.
   */
  readonly sharedAcrossTabs?: boolean;
}

/** Kept in memory only: gone when the process ends (the default in token mode). */
export function memoryStorage(): TokenStorage {
  let token: string | null = null;
  return {
    get: async () => token,
    set: async (value) => {
      token = value;
    },
    remove: async () => {
      token = null;
    },
  };
}

/** Anything with getItem/setItem/removeItem, sync or async: React Native's AsyncStorage, `localStorage`. */
export interface KeyValueStore {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** The refresh token under `key` of a key-value store; shared across tabs when the store is the browser's `localStorage`. */
export function keyValueStorage(store: KeyValueStore, key = 'tessera.refresh_token'): TokenStorage {
  const local = (globalThis as { localStorage?: unknown }).localStorage;
  return {
    sharedAcrossTabs: local !== undefined && store === local,
    get: async () => (await store.getItem(key)) ?? null,
    set: async (value) => {
      await store.setItem(key, value);
    },
    remove: async () => {
      await store.removeItem(key);
    },
  };
}
