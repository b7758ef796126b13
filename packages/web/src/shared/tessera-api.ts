/**
 * The pages' one way to talk to Tessera: sign in (JWT or legacy session), keep the access token in
 * memory only (the refresh token stays in its HttpOnly cookie), call the API with it and refresh once
 * when it has expired. A seam: the same interface can be backed by @tessera/client.
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

interface TokenPair {
  access_token: string;
  expires_in: number;
}

/** Seconds before its end at which a re-authentication proof is no longer sent (clocks and latency). */
const REAUTH_MARGIN_MS = 10_000;

export class TesseraApi {
  private accessToken: string | undefined;
  private reauth: { token: string; until: number } | undefined;
  /**
   * Asked when an admin change is refused for want of a fresh re-authentication (`reauth_required`):
   * the console shows its password dialog; true once a new proof was accepted, and the call is retried.
   */
  onReauthRequired: (() => Promise<boolean>) | undefined;

  constructor(private readonly base = '') {}

  get signedIn(): boolean {
    return this.accessToken !== undefined;
  }

  /** Password sign-in with JWTs (POST /auth/login). */
  async login(username: string, password: string): Promise<void> {
    this.accept((await this.send<TokenPair>('POST', '/auth/login', { username, password }, false)).data);
  }

  /** Legacy cookie sign-in (POST /api/login), for accounts outside the JWT rollout. */
  async sessionLogin(username: string, password: string): Promise<void> {
    await this.send('POST', '/api/login', { username, password }, false);
  }

  /** Signs in again from the refresh cookie, if this browser has one; false when it has none that works. */
  async restore(): Promise<boolean> {
    try {
      this.accept((await this.send<TokenPair>('POST', '/auth/refresh', undefined, false)).data);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) return false;
      throw error;
    }
  }

  /** Trades this browser's session cookie for JWTs (POST /auth/session/exchange). */
  async exchangeSession(): Promise<void> {
    this.accept((await this.send<TokenPair>('POST', '/auth/session/exchange', undefined, false)).data);
  }

  /** Signs this device out (JWT: its refresh family; session: the session). */
  async logout(): Promise<void> {
    if (this.accessToken) await this.send('POST', '/auth/logout', undefined, true).catch(() => undefined);
    else await this.send('POST', '/api/logout', undefined, false).catch(() => undefined);
    this.accessToken = undefined;
  }

  /** Forgets the access token (after something ended it, e.g. "sign out everywhere"). */
  forget(): void {
    this.accessToken = undefined;
    this.reauth = undefined;
  }

  /** Keeps the proof `POST /api/me/reauth` answered; it goes with admin changes while it holds. */
  acceptReauth(token: string, expiresInSeconds: number): void {
    this.reauth = { token, until: Date.now() + expiresInSeconds * 1000 - REAUTH_MARGIN_MS };
  }

  /** Whether a re-authentication proof is held and still fresh. */
  get reauthFresh(): boolean {
    return this.reauth !== undefined && Date.now() < this.reauth.until;
  }

  /** Takes a token pair an API call answered with (a password change issues a new one). */
  accept(pair: TokenPair): void {
    this.accessToken = pair.access_token;
  }

  /** An authenticated call: the access token when signed in (refreshed once if it expired), else the session cookie. */
  async call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    try {
      return await this.refreshing<T>(method, path, body);
    } catch (error) {
      const stale = error instanceof ApiError && error.code === 'reauth_required';
      if (!stale || !this.onReauthRequired || !(await this.onReauthRequired())) throw error;
      return this.refreshing<T>(method, path, body);
    }
  }

  private async refreshing<T>(method: string, path: string, body: unknown): Promise<Answer<T>> {
    try {
      return await this.send<T>(method, path, body, true);
    } catch (error) {
      const expired = error instanceof ApiError && error.status === 401 && this.accessToken !== undefined && error.code === 'invalid_token';
      if (!expired || !(await this.restore())) throw error;
      return this.send<T>(method, path, body, true);
    }
  }

  private async send<T>(method: string, path: string, body: unknown, bearer: boolean): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (bearer && this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    if (bearer && method !== 'GET' && path.startsWith('/admin/') && this.reauth && this.reauthFresh) headers['tessera-reauth'] = this.reauth.token;
    const response = await fetch(this.base + path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
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
