import { CLOCK_LEEWAY_SECONDS, type FeedPosition, type RevocationFeedData } from '@tessera/contract';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import type { RevokedAccessToken } from './revoked-access-token.js';
import type { ValidAfterMove } from './valid-after-move.js';
import type { RevocationFeed } from './revocation-feed.js';

/** One event of the public revocation feed: where it stands and what it says. */
export interface FeedEvent {
  position: FeedPosition;
  data: RevocationFeedData;
}

export interface RevocationEventsOptions {
  store: Store;
  feed: RevocationFeed;
  clock: Clock;
  /** The longest access-token lifetime, seconds: a user's valid-after older than that can refuse no live token. */
  accessTokenTtl: number;
}

/**
 * The revocation feed as other services see it (`GET /auth/revocations`): a snapshot of what still
 * matters, what was added after a position, in the public format of `@tessera/contract`. Positions are
 * the store's own sequence numbers, so they mean the same on every instance.
 */
export class RevocationEvents {
  constructor(private readonly options: RevocationEventsOptions) {}

  /** Every revocation that can still refuse a live token, and the position it reaches. */
  async snapshot(): Promise<FeedEvent> {
    const { store, clock } = this.options;
    const now = clock.now();
    const [revoked, moves] = await Promise.all([store.revocations.since(0, now), store.validAfter.since(0)]);
    const position = { revocations: revoked.cursor, moves: moves.cursor };
    return { position, data: toFeedData(revoked.entries, this.stillMatter(moves.moves, now)) };
  }

  /**
   * What was recorded after `from`; undefined when `from` is ahead of the store (an id from another
   * deployment, or made up), and a snapshot is the only safe answer.
   */
  async since(from: FeedPosition): Promise<FeedEvent | undefined> {
    const { store, feed, clock } = this.options;
    await feed.poll();
    const known = feed.position;
    if (from.revocations > known.revocations || from.moves > known.moves) return undefined;
    const [revoked, moves] = await Promise.all([store.revocations.since(from.revocations, clock.now()), store.validAfter.since(from.moves)]);
    return { position: { revocations: revoked.cursor, moves: moves.cursor }, data: toFeedData(revoked.entries, moves.moves) };
  }

  /** The latest move of each user, of everyone and of each key — leaving out users' moves too old to refuse a live token. */
  private stillMatter(moves: ValidAfterMove[], now: number): ValidAfterMove[] {
    const horizon = now - (this.options.accessTokenTtl + CLOCK_LEEWAY_SECONDS) * 1000;
    const latest = new Map<string, ValidAfterMove>();
    for (const move of moves) {
      if (move.scope === 'user' && move.at < horizon) continue;
      const key = `${move.scope}:${move.subject}`;
      if ((latest.get(key)?.at ?? -Infinity) < move.at) latest.set(key, move);
    }
    return [...latest.values()];
  }
}

/** Our records in the public format: times in seconds, as in the tokens. */
export function toFeedData(entries: RevokedAccessToken[], moves: ValidAfterMove[]): RevocationFeedData {
  const data: RevocationFeedData = {
    tokens: entries.map((e) => ({ jti: e.jti, exp: Math.ceil(e.expiresAt / 1000) })),
    users: [],
    keys: [],
  };
  for (const move of moves) {
    if (move.scope === 'key') data.keys.push(move.subject);
    else if (move.scope === 'user') data.users.push({ sub: move.subject, not_before: notBefore(move.at) });
    else data.not_before_all = Math.max(data.not_before_all ?? 0, notBefore(move.at));
  }
  return data;
}

/**
 * The valid-after instant (ms) as a bound on `iat` (whole seconds): a token is refused when
 * `iat < not_before`, exactly the tokens whose whole issue second lies at or before the instant
 * (`ValidAfter.refusesIat`). A token from the instant's own second is judged by its `jti`, revoked with the move.
 */
function notBefore(atMs: number): number {
  return Math.floor((atMs + 1) / 1000);
}
