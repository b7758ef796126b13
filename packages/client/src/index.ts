export { TesseraClient, type TesseraClientOptions, type LoginResult, type ExchangeResult } from './tessera-client.js';
export { TesseraClientError, type ClientErrorCode } from './client-error.js';
export { type ClientMode, isSameSite } from './client-mode.js';
export { type AuthEvents, type AuthEventName, type SignOutReason } from './auth-events.js';
export { memoryStorage, keyValueStorage, type TokenStorage, type KeyValueStore } from './token-storage.js';
export type { ErrorCode, InvalidGrantReason } from '@tessera/contract';

import { TesseraClient, type TesseraClientOptions } from './tessera-client.js';

/** `createTesseraClient({ baseUrl })`: the same as `new TesseraClient(…)`. */
export function createTesseraClient(options: TesseraClientOptions): TesseraClient {
  return new TesseraClient(options);
}
