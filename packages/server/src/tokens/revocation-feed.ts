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
  private cursor = 0;
  private moveCursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain: Promise<void> | undefined;

  constructor(private readonly options: RevocationFeedOptions) {}

  /** Loads every unexpired revocation; an instance serves only after this. */
  async start(): Promise<void> {
    await this.poll();
    await this.options.bus?.subscribe((entries) => this.options.list.add(entries));
    await this.options.bus?.subscribeValidAfter?.((moves) => this.apply(moves));
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
          this.options.store.revocations.since(this.cursor, this.options.clock.now()),
          this.options.store.validAfter.since(this.moveCursor),
        ]);
        this.options.list.add(batch.entries);
        this.cursor = batch.cursor;
        this.apply(moves.moves);
        this.moveCursor = moves.cursor;
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
