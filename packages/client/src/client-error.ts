import type { ErrorCode, InvalidGrantReason } from '@tessera/contract';

/** Codes the client reports on its own, beside the server's. */
export type ClientErrorCode =
  /** The server could not be reached, or answered something that is not Tessera's JSON. */
  | 'network_error'
  /** Cookie mode was asked for where the browser will not send Tessera's cookie (another site). */
  | 'cookie_mode_unavailable'
  /** `fetch` was asked to send the access token to an origin that is neither Tessera's nor in `apiOrigins`. */
  | 'untrusted_origin';

/** A failure the app can branch on by `code`; `description` is for people. */
export class TesseraClientError extends Error {
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    readonly description: string,
    readonly details: { status?: number; reason?: InvalidGrantReason; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(description, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TesseraClientError';
  }

  get status(): number | undefined {
    return this.details.status;
  }
}
