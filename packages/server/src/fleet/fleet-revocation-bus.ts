import type { RevokedAccessToken } from '../tokens/revoked-access-token.js';
import type { ValidAfterMove } from '../tokens/valid-after-move.js';
import type { RevocationBus } from '../tokens/revocation-feed.js';
import type { FleetBus } from './fleet-bus.js';

/** Revocations as fleet events: what one instance revokes, every other refuses a moment later. */
export class FleetRevocationBus implements RevocationBus {
  constructor(private readonly bus: FleetBus) {}

  /** Never throws: while Redis is away the others find the revocation in the database. */
  async publish(entries: RevokedAccessToken[]): Promise<void> {
    await this.bus.announce({ type: 'revoked', entries });
  }

  async subscribe(onRevoked: (entries: RevokedAccessToken[]) => void): Promise<void> {
    this.bus.on('revoked', (event) => onRevoked(event.entries));
  }

  async publishValidAfter(moves: ValidAfterMove[]): Promise<void> {
    await this.bus.announce({ type: 'valid-after', moves });
  }

  async subscribeValidAfter(onMoved: (moves: ValidAfterMove[]) => void): Promise<void> {
    this.bus.on('valid-after', (event) => onMoved(event.moves));
  }

  /** The connections belong to the fleet, which closes them. */
  async close(): Promise<void> {}
}
