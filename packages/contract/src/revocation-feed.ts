/**
 * The revocation feed (`GET /auth/revocations`, Server-Sent Events): a public contract between Tessera
 * and every service that verifies its tokens. Two event names carry the same data shape:
 *
 * - `snapshot`: everything that still matters, complete — replace what you hold with it. Sent first on a
 *   connection without a usable `Last-Event-ID`.
 * - `revocations`: what was added since the previous event — add it to what you hold. Sent first (even
 *   empty) on a connection that resumed with `Last-Event-ID`: from then on the subscriber is current.
 *
 * Every event's `id` is `<revocation sequence>.<valid-after sequence>`, numbers from the database, so it
 * means the same on every instance: reconnecting to any instance with `Last-Event-ID` resumes without a
 * gap. A `: heartbeat` comment arrives at least every heartbeat interval while nothing else does.
 * Fields may be added to the data; none will change meaning.
 */
export interface RevocationFeedData {
  /** Access tokens revoked before their expiry: refuse a token with this `jti` (until `exp`, seconds). */
  tokens: Array<{ jti: string; exp: number }>;
  /** Users whose credentials were ended: refuse a token of `sub` whose `iat` is before `not_before` (seconds). */
  users: Array<{ sub: string; not_before: number }>;
  /** Everyone's credentials were ended: refuse every token whose `iat` is before this (seconds); absent when never. */
  not_before_all?: number;
  /** Signing keys revoked: refuse every token whose header names one of these `kid`s, whenever it was issued. */
  keys: string[];
}

export const REVOCATION_FEED_EVENTS = { snapshot: 'snapshot', revocations: 'revocations' } as const;

/** Where a feed event stands in the two database sequences; the event id is `<revocations>.<moves>`. */
export interface FeedPosition {
  revocations: number;
  moves: number;
}

export function formatFeedPosition(position: FeedPosition): string {
  return `${position.revocations}.${position.moves}`;
}

/** Reads an event id; undefined when it is not one of ours (then the reader starts from a snapshot). */
export function parseFeedPosition(id: string | undefined | null): FeedPosition | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(id ?? '');
  if (!match) return undefined;
  return { revocations: Number(match[1]), moves: Number(match[2]) };
}
