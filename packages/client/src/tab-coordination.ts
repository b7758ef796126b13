/** An access token as the client holds it: in memory only, with its local expiry. */
export interface HeldToken {
  token: string;
  /** Epoch ms on this device's clock (its lifetime counted from when the answer arrived). */
  expiresAt: number;
  /** Its whole lifetime in ms, for the refresh margin. */
  lifetimeMs: number;
}

/** What one tab tells the others. */
export type TabMessage =
  /** `newLogin`: the token of a login or session exchange in that tab, perhaps another user's, not a refresh. */
  | { type: 'token'; held: HeldToken; newLogin?: true }
  | { type: 'ask' }
  | { type: 'signedOut'; reason: import('./auth-events.js').SignOutReason };

/**
 * How the tabs of one browser sharing a refresh cookie take turns: one refreshes at a time, and hands
 * the new access token to the others. In Node and React Native there is one "tab": the process.
 */
export interface TabCoordination {
  /** Runs `work` while no other tab runs its own (the refresh). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** A token fresher than `than` that another tab holds, if one says so within a short wait. */
  askOthers(than: HeldToken | null): Promise<HeldToken | null>;
  tell(message: TabMessage): void;
  listen(listener: (message: TabMessage) => void): void;
  /** Records that a token valid until `expiresAt` exists (or none: 0), for tabs deciding whether to ask. */
  markFreshUntil(expiresAt: number): void;
  close(): void;
}

/** A single process: nothing to coordinate with beyond the in-process single flight. */
export function singleProcess(): TabCoordination {
  return {
    exclusive: (work) => work(),
    askOthers: async () => null,
    tell: () => {},
    listen: () => {},
    markFreshUntil: () => {},
    close: () => {},
  };
}
