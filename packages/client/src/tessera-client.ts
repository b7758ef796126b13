import type { ErrorCode, InvalidGrantReason } from '@tessera/contract';
import { AuthEventEmitter, type AuthEventName, type AuthEvents, type SignOutReason } from './auth-events.js';
import { browserTabs } from './browser-tabs.js';
import { TesseraClientError } from './client-error.js';
import { chooseMode, type ClientMode } from './client-mode.js';
import { signOutReason } from './sign-out-reason.js';
import { SingleFlight } from './single-flight.js';
import { singleProcess, type HeldToken, type TabCoordination, type TabMessage } from './tab-coordination.js';
import { memoryStorage, type TokenStorage } from './token-storage.js';

export interface TesseraClientOptions {
  /** Where Tessera answers: `https://auth.example.com` (its /auth/* endpoints are called from here). */
  baseUrl: string;
  /** Default: `cookie` in a browser page of Tessera's site, `token` everywhere else. */
  mode?: ClientMode;
  /** Token mode: where the refresh token is kept between runs. Default: memory only. */
  storage?: TokenStorage;
  /**
   * Whether browser tabs take turns refreshing and share the access token (Web Locks + BroadcastChannel).
   * Default: in cookie mode, where every tab shares the refresh cookie; in token mode, when the tabs
   * share the storage (`keyValueStorage(localStorage)`, or a storage of your own that says
   * `sharedAcrossTabs: true`).
   */
  shareAcrossTabs?: boolean;
  /**
   * Origins besides Tessera's own that `fetch` sends the access token to: your APIs
   * (`['https://api.example.com']`). Every API of a deployment accepts the same token, so it goes
   * nowhere else; not even to a sibling subdomain unless listed.
   */
  apiOrigins?: readonly string[];
  /** The fetch to call Tessera and your API with. Default: the global fetch. */
  fetch?: typeof fetch;
  /** The clock (epoch ms). */
  now?: () => number;
}

export type LoginResult = { status: 'signed_in' } | { status: 'stay_on_session' };
export type ExchangeResult = { status: 'exchanged' } | { status: 'stay_on_session' } | { status: 'no_session' };

interface TokenPairBody {
  access_token: string;
  /** Absent in cookie mode, which asks for it in the HttpOnly cookie only. */
  refresh_token?: string;
  expires_in: number;
}

interface ErrorBody {
  error?: ErrorCode;
  error_description?: string;
  reason?: InvalidGrantReason;
}

type State = 'unknown' | 'signedIn' | 'signedOut';

/** Refresh this long before expiry: a quarter of the lifetime, at most 30 s. */
const MAX_REFRESH_MARGIN_MS = 30_000;

/**
 * Keeps a user signed in to a Tessera-protected API. The access token lives in memory only; it is
 * refreshed shortly before it expires, by one refresh however many requests (and, in a browser, tabs)
 * need it at once, so that a rotating refresh token is never presented twice.
 */
export class TesseraClient {
  readonly mode: ClientMode;
  private readonly baseUrl: string;
  private readonly storage: TokenStorage;
  private readonly send: typeof fetch;
  private readonly now: () => number;
  private readonly tabs: TabCoordination;
  private readonly apiOrigins: ReadonlySet<string>;
  private readonly events = new AuthEventEmitter();
  private readonly refreshes = new SingleFlight<string | null>();
  private held: HeldToken | null = null;
  private state: State = 'unknown';

  constructor(options: TesseraClientOptions) {
    this.baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '');
    this.mode = chooseMode(options.mode, this.baseUrl);
    this.storage = options.storage ?? memoryStorage();
    this.send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.apiOrigins = new Set([this.baseUrl, ...(options.apiOrigins ?? [])].map((origin) => new URL(origin).origin));
    const share = options.shareAcrossTabs ?? (this.mode === 'cookie' || this.storage.sharedAcrossTabs === true);
    this.tabs = (share ? browserTabs(`tessera:${this.baseUrl}`) : undefined) ?? singleProcess();
    this.tabs.listen((message) => this.fromOtherTab(message));
  }

  /** Whether a user is signed in (as far as this client knows: false until restore() on page load). */
  get signedIn(): boolean {
    return this.state === 'signedIn';
  }

  /** Subscribes to `signedIn`, `refreshed` or `signedOut`; returns the unsubscribe function. */
  on<K extends AuthEventName>(name: K, listener: (event: AuthEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /**
   * Logs in with a password. A user the JWT rollout does not include yet gets `stay_on_session`
   * (keep using the session login); wrong credentials, lockouts and rate limits throw TesseraClientError.
   */
  async login(username: string, password: string): Promise<LoginResult> {
    // Under the tabs' lock: a refresh under way in another tab could otherwise set its successor's cookie
    // over this login's.
    return this.tabs.exclusive(async () => {
      const response = await this.post('/auth/login', { body: { username, password, ...this.delivery } });
      if (response.ok) {
        await this.adopt((await response.json()) as TokenPairBody, 'login');
        return { status: 'signed_in' } as const;
      }
      const error = await errorOf(response);
      if (error.code === 'jwt_not_enabled') return { status: 'stay_on_session' } as const;
      throw error;
    });
  }

  /**
   * Moves a user signed in with a legacy session (the `session_id` cookie) to JWTs without asking for
   * the password; the session ends. `stay_on_session` when the rollout does not include the user yet,
   * `no_session` when there is no valid session to move.
   */
  async exchangeSession(): Promise<ExchangeResult> {
    return this.tabs.exclusive(async () => {
      const response = await this.post('/auth/session/exchange', { body: this.delivery, credentials: 'include' });
      if (response.ok) {
        await this.adopt((await response.json()) as TokenPairBody, 'exchange');
        return { status: 'exchanged' } as const;
      }
      const error = await errorOf(response);
      if (error.code === 'jwt_not_enabled') return { status: 'stay_on_session' } as const;
      if (error.code === 'unauthorized' || error.code === 'invalid_session') return { status: 'no_session' } as const;
      throw error;
    });
  }

  /** On page load or app start: signs the user back in from the refresh cookie or storage, if there is one. */
  async restore(): Promise<boolean> {
    if (this.held && !this.isStale(this.held)) return true;
    return (await this.refreshFrom(this.held?.token ?? null)) !== null;
  }

  /** A valid access token (refreshed first if it is about to expire), or null when no one is signed in. */
  async getAccessToken(): Promise<string | null> {
    const held = this.held;
    if (held && !this.isStale(held)) return held.token;
    if (this.state === 'signedOut') return null;
    return this.refreshFrom(held?.token ?? null);
  }

  /** Refreshes now (joining a refresh already under way); the new access token, or null if signed out. */
  refresh(): Promise<string | null> {
    return this.refreshFrom(this.held?.token ?? null);
  }

  /**
   * `fetch` with `Authorization: Bearer <access token>`, for Tessera's origin and `apiOrigins` only (any
   * other URL rejects with `untrusted_origin`: use the plain `fetch` for it). A 401 `invalid_token` is
   * retried once after a refresh; a body that can be read only once (a stream) cannot be sent twice,
   * so pass strings, Blobs, FormData or URLSearchParams.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    this.assertTrusted(input);
    const token = await this.getAccessToken();
    const spare = input instanceof Request ? input.clone() : input;
    const response = await this.send(input, withBearer(input, init, token));
    if (response.status !== 401 || token === null || !(await refusesToken(response))) return response;
    const next = await this.refreshFrom(token);
    if (next === null) return response;
    return this.send(spare, withBearer(spare, init, next));
  }

  /**
   * Logs out this device (every tab): the server revokes its tokens and clears the refresh cookie. In
   * token mode the client forgets its tokens even when Tessera cannot be reached. In cookie mode only
   * Tessera can clear the HttpOnly refresh cookie: when it does not confirm (unreachable, 429, 5xx),
   * the client stays signed in and rejects with the TesseraClientError, so the page can say so and let
   * the user try again — otherwise the next page load would sign them back in from the cookie.
   */
  async logout(): Promise<void> {
    await this.tabs.exclusive(async () => {
      const access = this.held?.token;
      const refreshToken = this.mode === 'token' ? await this.storage.get() : null;
      let unconfirmed: unknown;
      try {
        const response = await this.post('/auth/logout', { body: refreshToken ? { refresh_token: refreshToken } : undefined, bearer: access });
        // 400 and 401: nothing left to end (the tokens were refused or had ended), and the cookie is cleared.
        if (response.status === 429 || response.status >= 500) unconfirmed = await errorOf(response);
      } catch (error) {
        unconfirmed = error;
      }
      if (unconfirmed !== undefined && this.mode === 'cookie') throw unconfirmed;
      await this.end('logged_out');
    });
  }

  /** Refuses a URL the access token must not be sent to: neither Tessera's origin nor in `apiOrigins`. */
  private assertTrusted(input: string | URL | Request): void {
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    const url = new URL(input instanceof Request ? input.url : String(input), page ?? this.baseUrl);
    if (this.apiOrigins.has(url.origin)) return;
    throw new TesseraClientError(
      'untrusted_origin',
      `${url.origin} is neither Tessera (${new URL(this.baseUrl).origin}) nor in apiOrigins, so the access token is not sent there. ` +
        'Use the plain fetch for it, or add it to apiOrigins if it is one of your APIs.',
    );
  }

  /** Stops listening to other tabs. */
  close(): void {
    this.tabs.close();
  }

  /**
   * Cookie mode asks for the refresh token in Tessera's HttpOnly cookie only, never in a body this
   * page's scripts could read; token mode keeps it in its storage, so it needs it in the body.
   */
  private get delivery(): { refresh_token_delivery: 'cookie' } | undefined {
    return this.mode === 'cookie' ? { refresh_token_delivery: 'cookie' } : undefined;
  }

  private isStale(held: HeldToken): boolean {
    return this.now() >= held.expiresAt - Math.min(MAX_REFRESH_MARGIN_MS, held.lifetimeMs / 4);
  }

  /** One refresh for everyone holding `staleToken`: later callers, and other tabs, take its result. */
  private refreshFrom(staleToken: string | null): Promise<string | null> {
    return this.refreshes.run(() =>
      this.tabs.exclusive(async () => {
        const current = this.held;
        if (current && current.token !== staleToken && !this.isStale(current)) return current.token;
        const handed = await this.tabs.askOthers(current);
        if (handed && !this.isStale(handed)) {
          this.take(handed, 'other_tab');
          return handed.token;
        }
        return this.rotate();
      }),
    );
  }

  private async rotate(): Promise<string | null> {
    const refreshToken = this.mode === 'token' ? await this.storage.get() : undefined;
    if (refreshToken === null) {
      await this.end('expired');
      return null;
    }
    const response = await this.post('/auth/refresh', { body: refreshToken === undefined ? undefined : { refresh_token: refreshToken } });
    if (response.ok) {
      await this.adopt((await response.json()) as TokenPairBody, 'restore');
      return this.held!.token;
    }
    const error = await errorOf(response);
    const reason = signOutReason(error);
    if (reason === undefined) throw error;
    await this.end(reason, error.details.retryAfterSeconds);
    return null;
  }

  private async adopt(pair: TokenPairBody, via: AuthEvents['signedIn']['via']): Promise<void> {
    const lifetimeMs = pair.expires_in * 1000;
    const held: HeldToken = { token: pair.access_token, expiresAt: this.now() + lifetimeMs, lifetimeMs };
    // Token mode always sends its refresh token in the body, and always gets the successor back in it.
    if (this.mode === 'token' && pair.refresh_token !== undefined) await this.storage.set(pair.refresh_token);
    const newLogin = via === 'login' || via === 'exchange';
    this.take(held, via, newLogin);
    this.tabs.markFreshUntil(held.expiresAt);
    this.tabs.tell(newLogin ? { type: 'token', held, newLogin } : { type: 'token', held });
  }

  /** Holds `held`: a refresh of the login held so far, unless it comes from a new login (`signedIn` again). */
  private take(held: HeldToken, via: AuthEvents['signedIn']['via'], newLogin = false): void {
    const was = this.state;
    this.held = held;
    this.state = 'signedIn';
    if (was === 'signedIn' && !newLogin) this.events.emit('refreshed', { expiresAt: held.expiresAt });
    else this.events.emit('signedIn', { via });
  }

  /** Signed out for `reason`: tokens forgotten (a rate-limited refresh token is kept for later), other tabs told. */
  private async end(reason: SignOutReason, retryAfterSeconds?: number, fromOtherTab = false): Promise<void> {
    const wasSignedIn = this.state === 'signedIn';
    this.held = null;
    this.state = 'signedOut';
    if (this.mode === 'token' && reason !== 'rate_limited' && !fromOtherTab) await this.storage.remove();
    if (!wasSignedIn) return;
    if (!fromOtherTab && reason !== 'rate_limited') {
      this.tabs.markFreshUntil(0);
      this.tabs.tell({ type: 'signedOut', reason });
    }
    this.events.emit('signedOut', retryAfterSeconds === undefined ? { reason } : { reason, retryAfterSeconds });
  }

  private fromOtherTab(message: TabMessage): void {
    if (message.type === 'token') {
      // A new login in another tab replaces whatever this tab held, even a token that expires later.
      if (message.newLogin) this.take(message.held, 'other_tab', true);
      else if (!this.held || message.held.expiresAt > this.held.expiresAt) this.take(message.held, 'other_tab');
    } else if (message.type === 'ask') {
      if (this.held && !this.isStale(this.held)) this.tabs.tell({ type: 'token', held: this.held });
    } else if (this.state === 'signedIn') {
      void this.end(message.reason, undefined, true);
    }
  }

  private async post(path: string, options: { body?: object; bearer?: string; credentials?: RequestInit['credentials'] }): Promise<Response> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    try {
      return await this.send(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: options.credentials ?? (this.mode === 'cookie' ? 'include' : 'omit'),
      });
    } catch (cause) {
      throw new TesseraClientError('network_error', `Tessera at ${this.baseUrl} could not be reached`, { cause });
    }
  }
}

/** The init of a request carrying the Bearer token (the caller's own headers kept). */
function withBearer(input: string | URL | Request, init: RequestInit, token: string | null): RequestInit {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/** RFC 6750: the access token itself was refused (not, say, a missing role). */
async function refusesToken(response: Response): Promise<boolean> {
  if (/error="?invalid_token/.test(response.headers.get('www-authenticate') ?? '')) return true;
  // A resource server on another origin may not expose WWW-Authenticate to scripts; its body says it too.
  const body = (await response.clone().json().catch(() => ({}))) as ErrorBody;
  return body.error === 'invalid_token';
}

/** The error a Tessera answer describes, as a TesseraClientError. */
async function errorOf(response: Response): Promise<TesseraClientError> {
  const body = (await response.json().catch(() => ({}))) as ErrorBody;
  const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
  const details = {
    status: response.status,
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
  };
  if (body.error === undefined) {
    return new TesseraClientError('network_error', `Tessera answered HTTP ${response.status} without an error body`, details);
  }
  return new TesseraClientError(body.error, body.error_description ?? body.error, details);
}
