/**
 * Where token mode keeps the refresh token between runs: an app's keychain, AsyncStorage, a file. Async
 * because mobile storage is. Browser cookie mode needs none: the refresh token lives in an HttpOnly cookie.
 */
export interface TokenStorage {
  get(): Promise<string | null>;
  set(refreshToken: string): Promise<void>;
  remove(): Promise<void>;
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

/** The refresh token under `key` of a key-value store. */
export function keyValueStorage(store: KeyValueStore, key = 'tessera.refresh_token'): TokenStorage {
  return {
    get: async () => (await store.getItem(key)) ?? null,
    set: async (value) => {
      await store.setItem(key, value);
    },
    remove: async () => {
      await store.removeItem(key);
    },
  };
}
