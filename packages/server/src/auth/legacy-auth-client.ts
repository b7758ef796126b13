import type { LegacyAuthSettings } from '../config.js';

/** What the old app said about a username and password. */
export type LegacyAnswer =
  | { status: 'valid'; role: unknown; email: unknown }
  | { status: 'invalid' }
  /** No usable answer: a timeout, a refused connection, an unexpected status or body. */
  | { status: 'failed'; reason: string };

/** Bodies longer than this are not an answer to "is this password right?". */
const MAX_ANSWER_BYTES = 16 * 1024;
/** Checks waiting on the old app at once; past this a login is answered 503 at once rather than piling up. */
const MAX_IN_FLIGHT = 32;

/**
 * Asks the team's old app whether a password is right (lazy migration). The contract, in
 * docs/bring-your-users.md: `POST LEGACY_AUTH_URL` with `{"username","password"}` and
 * `Authorization: Bearer LEGACY_AUTH_SECRET`; `200 {"valid": true, "role"?, "email"?}` is yes,
 * `200 {"valid": false}` and 404 (no such user) are no; anything else is a failure (a 401 or 403 usually means
 * the two sides disagree on the secret, which must show, not pass for wrong passwords). Redirects are not followed.
 */
export class LegacyAuthClient {
  private inFlight = 0;

  constructor(private readonly settings: LegacyAuthSettings) {}

  async ask(username: string, password: string): Promise<LegacyAnswer> {
    if (this.inFlight >= MAX_IN_FLIGHT) return { status: 'failed', reason: 'too many checks waiting on the old app' };
    this.inFlight += 1;
    try {
      return await this.request(username, password);
    } catch (error) {
      return { status: 'failed', reason: describeFailure(error, this.settings.timeoutMs) };
    } finally {
      this.inFlight -= 1;
    }
  }

  private async request(username: string, password: string): Promise<LegacyAnswer> {
    const signal = AbortSignal.timeout(this.settings.timeoutMs);
    const response = await fetch(this.settings.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${this.settings.secret}` },
      body: JSON.stringify({ username, password }),
      redirect: 'manual',
      signal,
    });
    const body = await readBounded(response);
    if (response.status === 404) return { status: 'invalid' };
    if (response.status !== 200) return { status: 'failed', reason: `the old app answered HTTP ${response.status}` };
    let answer: unknown;
    try {
      answer = JSON.parse(body);
    } catch {
      return { status: 'failed', reason: 'the old app answered something that is not JSON' };
    }
    if (typeof answer !== 'object' || answer === null || typeof (answer as { valid?: unknown }).valid !== 'boolean') {
      return { status: 'failed', reason: 'the old app answered JSON without a boolean "valid"' };
    }
    const { valid, role, email } = answer as { valid: boolean; role?: unknown; email?: unknown };
    return valid ? { status: 'valid', role, email } : { status: 'invalid' };
  }
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => undefined);
      throw new AnswerTooLargeError();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class AnswerTooLargeError extends Error {}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof AnswerTooLargeError) return `the old app's answer was longer than ${MAX_ANSWER_BYTES} bytes`;
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string } }).cause;
  return `the old app could not be reached (${cause?.code ?? (error instanceof Error ? error.message : 'error')})`;
}
