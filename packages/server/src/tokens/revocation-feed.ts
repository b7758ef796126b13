import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { RevokedAccessToken } from '../tokens/revoked-access-token.js';
import type { ValidAfterMove } from '../tokens/valid-after-move.js';
import type { RevocationList } from './revocation-list.js';
import type { ValidAfter } from './valid-after.js';

/** Carries revocations between instances faster than polling (Redis pub/sub in a fleet). */
export interface RevocationBus {
  publish(entries: RevokedAccessToken[]): Promise<void>;
  subscribe(onRevoked: (entries: RevokedAccessToken[]) => void): Promise<void>;
  /** Valid-after moves travel the same way; a bus without them leaves them to polling. */
  publishValidAfter?(moves: ValidAfterMove[]): Promise<void>;
  subscribeValidAfter?(onMoved: (moves: ValidAfterMove[]) => void): Promise<void>;
  close(): Promise<void>;
}

/** Where the feed has read the store up to: the last revocation and valid-after sequence numbers seen. */
export interface FeedCursor {
  revocations: number;
  moves: number;
}

/** What one read of the store found beyond the previous one. */
export interface FeedUpdate {
  cursor: FeedCursor;
  entries: RevokedAccessToken[];
  moves: ValidAfterMove[];
}

export interface RevocationFeedOptions {
  store: Store;
  list: RevocationList;
  /** The valid-after instants, kept current the same way as the list. */
  validAfter?: ValidAfter | undefined;
  /** Called when a move revokes a signing key (to drop it from the key ring and the JWKS). */
  onKeyRevoked?: (() => Promise<void>) | undefined;
  clock: Clock;
  logger: Logger;
  /** How often the store is asked for revocations made elsewhere (another instance, the CLI). */
  pollIntervalMs: number;
  bus?: RevocationBus | undefined;
}

/**
 * Keeps this instance's revocation list current: what it revokes itself applies at once; what others
 * revoke arrives over the bus, and polling the store catches anything the bus missed. The store is the
 * record; the list and the bus are only ways to learn of it quickly.
 */
export class RevocationFeed {
  private revocationCursor = 0;
  private moveCursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain: Promise<void> | undefined;
  private readonly watchers = new Set<(update: FeedUpdate) => void>();

  constructor(private readonly options: RevocationFeedOptions) {}

  /** How far this instance has read the store. */
  get position(): FeedCursor {
    return { revocations: this.revocationCursor, moves: this.moveCursor };
  }

  /**
   * Calls `watcher` with what each read of the store finds, in order. While anyone watches, every
   * revocation this instance learns of (its own, the fleet's) prompts a read at once, so watchers learn
   * of it with its sequence numbers as soon as this instance does. Returns the way to stop watching.
   */
  watch(watcher: (update: FeedUpdate) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Loads every unexpired revocation; an instance serves only after this. */
  async start(): Promise<void> {
    await this.poll();
    await this.options.bus?.subscribe((entries) => {
      this.options.list.add(entries);
      this.readForWatchers();
    });
    await this.options.bus?.subscribeValidAfter?.((moves) => {
      this.apply(moves);
      this.readForWatchers();
    });
    this.timer = setInterval(() => {
      this.poll().catch((error: unknown) => this.options.logger.warn({ err: error }, 'revocation poll failed'));
      this.options.list.sweep();
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** Applies revocations just recorded in the store, here and (through the bus) everywhere. */
  async revoked(entries: RevokedAccessToken[]): Promise<void> {
    if (entries.length === 0) return;
    this.options.list.add(entries);
    this.readForWatchers();
    try {
      await this.options.bus?.publish(entries);
    } catch (error) {
      // The store holds the revocation; other instances will find it when they poll.
      this.options.logger.warn({ err: error }, 'revocation broadcast failed; instances will pick it up by polling');
    }
  }

  /** Applies valid-after moves just recorded in the store, here and (through the bus) everywhere. */
  async moved(moves: ValidAfterMove[]): Promise<void> {
    if (moves.length === 0) return;
    this.apply(moves);
    this.readForWatchers();
    try {
      await this.options.bus?.publishValidAfter?.(moves);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'valid-after broadcast failed; instances will pick it up by polling');
    }
  }

  /**
   * Reads revocations and valid-after moves recorded since the last poll. The read starts after the call: a poll already
   * under way may have read the store before the revocation that prompted this one.
   */
  poll(): Promise<void> {
    if (!this.polling) {
      this.polling = (async () => {
        const [batch, moves] = await Promise.all([
          this.options.store.revocations.since(this.revocationCursor, this.options.clock.now()),
          this.options.store.validAfter.since(this.moveCursor),
        ]);
        const advanced = batch.cursor !== this.revocationCursor || moves.cursor !== this.moveCursor;
        this.options.list.add(batch.entries);
        this.revocationCursor = batch.cursor;
        this.apply(moves.moves);
        this.moveCursor = moves.cursor;
        if (advanced) this.tellWatchers({ cursor: this.position, entries: batch.entries, moves: moves.moves });
      })().finally(() => {
        this.polling = undefined;
      });
      return this.polling;
    }
    this.pollAgain ??= this.polling
      .catch(() => undefined)
      .then(() => {
        this.pollAgain = undefined;
        return this.poll();
      });
    return this.pollAgain;
  }

  /** Reads the store now if anyone watches: the news (sequence numbers included) is there already. */
  private readForWatchers(): void {
    if (this.watchers.size === 0) return;
    this.poll().catch((error: unknown) => this.options.logger.warn({ err: error }, 'revocation read for the feed failed; the next poll retries'));
  }

  private tellWatchers(update: FeedUpdate): void {
    for (const watcher of this.watchers) {
      try {
        watcher(update);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'a revocation feed watcher failed');
      }
    }
  }

  private apply(moves: ValidAfterMove[]): void {
    if (moves.length === 0) return;
    this.options.validAfter?.apply(moves);
    if (!moves.some((m) => m.scope === 'key')) return;
    this.options.onKeyRevoked?.().catch((error: unknown) => this.options.logger.warn({ err: error }, 'key reload after a key revocation failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
