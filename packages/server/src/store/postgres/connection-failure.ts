/**
 * Whether an error from `pg` means the database could not be reached (as opposed to a bad query or a
 * constraint): those become `StoreUnavailableError`, which HTTP answers with 503 and Retry-After.
 */

/** Socket-level failures reported by Node. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** SQLSTATEs of a server that is shutting down, restarting or refusing sessions. */
const SERVER_CODES = new Set([
  '57P01', // admin_shutdown (also pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or in recovery)
  '53300', // too_many_connections
]);

/** Messages `pg` and `pg-pool` use for a lost connection or a connect that timed out. */
const MESSAGES = [
  'Connection terminated', // "…unexpectedly", "…due to connection timeout"
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Query read timeout', // no answer within the store's query timeout: a partition, a hung server
];

export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) {
    return true;
  }
  if (MESSAGES.some((message) => error.message.includes(message))) return true;
  // Node tries every address of a host name and reports them together.
  if (error instanceof AggregateError && error.errors.some(isConnectionFailure)) return true;
  return isConnectionFailure(error.cause);
}
