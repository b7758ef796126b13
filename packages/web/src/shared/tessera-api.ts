import { TesseraClient, TesseraClientError } from '@tessera/client';

/**
 * The pages' one way to talk to Tessera, over @tessera/client: the SDK signs in, keeps the access token
 * in memory (the refresh token stays in its HttpOnly cookie), refreshes it once for every request and
 * tab, and sends it with `fetch`. What the SDK leaves to apps is here: the legacy session sign-in and
 * calls, errors as `ApiError`, and the console's re-authentication proof.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

/** One signed-in device (a refresh-token family) as the account and admin APIs list it. */
export interface DeviceRow {
  id: string;
  created_at: string;
  last_used_at: string;
  ip: string | null;
  user_agent: string | null;
}

export interface Answer<T> {
  data: T;
  headers: Headers;
}

/** Seconds before its end at which a re-authentication proof is no longer sent (clocks and latency). */
const REAUTH_MARGIN_MS = 10_000;

/** The SDK's error as the pages' ApiError; a server that could not be reached stays a network failure. */
function apiError(error: unknown): unknown {
  if (!(error instanceof TesseraClientError) || error.status === undefined) return error;
  return new ApiError(error.status, error.code, error.description, error.details.retryAfterSeconds);
}

const refused = (status: number, code: string, description: string) => new ApiError(status, code, description, undefined);

export class TesseraApi {
  private client: TesseraClient;
  private reauth: { token: string; until: number } | undefined;
  /**
   * Asked when an admin change is refused for want of a fresh re-authentication (`reauth_required`):
   * the console shows its password dialog; true once a new proof was accepted, and the call is retried.
   */
  onReauthRequired: (() => Promise<boolean>) | undefined;

  constructor(private readonly base = location.origin) {
    this.client = new TesseraClient({ baseUrl: base, mode: 'cookie' });
  }

  /** Password sign-in with JWTs (POST /auth/login); a user outside the rollout is `jwt_not_enabled`. */
  async login(username: string, password: string): Promise<void> {
    const result = await this.client.login(username, password).catch((error: unknown) => Promise.reject(apiError(error)));
    if (result.status === 'stay_on_session') throw refused(403, 'jwt_not_enabled', 'This account keeps its session sign-in for now');
  }

  /** Legacy cookie sign-in (POST /api/login), for accounts outside the JWT rollout. */
  async sessionLogin(username: string, password: string): Promise<void> {
    await this.send('POST', '/api/login', { username, password });
  }

  /** Signs in again from the refresh cookie, if this browser has one; false when it has none that works. */
  async restore(): Promise<boolean> {
    try {
      return await this.client.restore();
    } catch (error) {
      const failure = apiError(error);
      if (failure instanceof ApiError && failure.status < 500) return false;
      throw failure;
    }
  }

  /** Trades this browser's session cookie for JWTs (POST /auth/session/exchange). */
  async exchangeSession(): Promise<void> {
    const result = await this.client.exchangeSession().catch((error: unknown) => Promise.reject(apiError(error)));
    if (result.status === 'stay_on_session') throw refused(403, 'jwt_not_enabled', 'This account keeps its session sign-in for now');
    if (result.status === 'no_session') throw refused(401, 'invalid_session', 'The session has ended');
  }

  /**
   * Signs this device out (JWT: its refresh family, in every tab; session: the session). Rejects, still
   * signed in, when Tessera did not confirm it (unreachable, busy): only Tessera can clear the HttpOnly
   * cookie that would sign the user back in on the next page load, so the page must say so.
   */
  async logout(): Promise<void> {
    if (this.client.signedIn) await this.client.logout().catch((error: unknown) => Promise.reject(apiError(error)));
    else await this.send('POST', '/api/logout');
    this.forget();
  }

  /** Forgets the tokens (after something ended them, e.g. "sign out everywhere"): a fresh SDK client. */
  forget(): void {
    this.client.close();
    this.client = new TesseraClient({ baseUrl: this.base, mode: 'cookie' });
    this.reauth = undefined;
  }

  /** After a password change, which ended every token and set a new refresh cookie: the SDK refreshes from it. */
  async renewed(): Promise<void> {
    await this.client.refresh().catch((error: unknown) => Promise.reject(apiError(error)));
  }

  /** Keeps the proof `POST /api/me/reauth` answered; it goes with admin changes while it holds. */
  acceptReauth(token: string, expiresInSeconds: number): void {
    this.reauth = { token, until: Date.now() + expiresInSeconds * 1000 - REAUTH_MARGIN_MS };
  }

  /** Whether a re-authentication proof is held and still fresh. */
  get reauthFresh(): boolean {
    return this.reauth !== undefined && Date.now() < this.reauth.until;
  }

  /**
   * An authenticated call: through the SDK's fetch (Bearer token, refreshed once if refused) when signed
   * in with JWTs, else with the session cookie. An admin change refused for want of a re-authentication
   * is retried once the console has one.
   */
  async call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    try {
      return await this.send<T>(method, path, body);
    } catch (error) {
      const stale = error instanceof ApiError && error.code === 'reauth_required';
      if (!stale || !this.onReauthRequired || !(await this.onReauthRequired())) throw error;
      return this.send<T>(method, path, body);
    }
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && path.startsWith('/admin/') && this.reauth && this.reauthFresh) headers['tessera-reauth'] = this.reauth.token;
    const init: RequestInit = { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    const url = this.base + path;
    const response = this.client.signedIn ? await this.client.fetch(url, init) : await fetch(url, init);
    const data = response.headers.get('content-type')?.includes('json') ? await response.json() : undefined;
    if (!response.ok) {
      const retry = Number(response.headers.get('retry-after'));
      throw new ApiError(
        response.status,
        data?.error ?? 'server_error',
        data?.error_description ?? `HTTP ${response.status}`,
        Number.isFinite(retry) && retry > 0 ? retry : undefined,
      );
    }
    return { data: data as T, headers: response.headers };
  }
}

/** What a person should read for an error: plain words, then what to do. */
/** Why a sign-out did not happen, for the page that asked for it. */
export const notSignedOut = (error: unknown): string => `You are still signed in. ${explain(error)}`;

export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Tessera could not be reached. Check your connection and try again.';
  switch (error.code) {
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'rate_limited':
      return `Too many attempts. Try again in ${wait(error.retryAfterSeconds)}.`;
    case 'temporarily_unavailable':
    case 'service_unavailable':
      return `Tessera is busy. Try again in ${wait(error.retryAfterSeconds)}.`;
    case 'jwt_not_enabled':
      return 'Your account is not moved to the new sign-in yet; your session keeps working until then.';
    case 'invalid_token':
    case 'invalid_session':
    case 'unauthorized':
      return 'You have been signed out. Sign in again.';
    case 'insufficient_scope':
      return 'This account may not do that.';
    case 'reauth_required':
      return 'Nothing changed: your password was not confirmed.';
    default:
      return error.message;
  }
}

function wait(seconds: number | undefined): string {
  if (seconds === undefined) return 'a moment';
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
