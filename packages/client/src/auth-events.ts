/** Why the user is no longer signed in: what the app shows next depends on it. */
export type SignOutReason =
  /** logout() here or in another tab. */
  | 'logged_out'
  /** The login is too old (refresh token or family lifetime over): log in again. */
  | 'expired'
  /** Ended by the server: signed out everywhere, password reset, account disabled, key revoked. */
  | 'revoked'
  /** A copy of a refresh token was used: every token of this login was revoked. Worth a warning. */
  | 'reuse_detected'
  /** Too many refreshes: try restore() after `retryAfterSeconds`; the refresh token is kept. */
  | 'rate_limited';

export interface AuthEvents {
  /**
   * Signed in by login(), restore(), exchangeSession() or another tab. Emitted again, with `other_tab`,
   * when another tab signs in anew while this one is signed in: perhaps as another user, so reload
   * whatever the page shows of the user.
   */
  signedIn: { via: 'login' | 'restore' | 'exchange' | 'other_tab' };
  /** A new access token, valid until `expiresAt` (epoch ms, local clock). */
  refreshed: { expiresAt: number };
  signedOut: { reason: SignOutReason; retryAfterSeconds?: number };
}

export type AuthEventName = keyof AuthEvents;
type Listener<K extends AuthEventName> = (event: AuthEvents[K]) => void;

/** A small typed emitter: a listener that throws never stops the others or the client. */
export class AuthEventEmitter {
  private readonly listeners = new Map<AuthEventName, Set<Listener<AuthEventName>>>();

  on<K extends AuthEventName>(name: K, listener: Listener<K>): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener as Listener<AuthEventName>);
    this.listeners.set(name, set);
    return () => set.delete(listener as Listener<AuthEventName>);
  }

  emit<K extends AuthEventName>(name: K, event: AuthEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        listener(event);
      } catch (error) {
        console.error(`tessera: a ${name} listener failed`, error);
      }
    }
  }
}
