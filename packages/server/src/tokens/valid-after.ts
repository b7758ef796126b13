import type { ValidAfterMove } from '../tokens/valid-after-move.js';

/**
 * The valid-after instants (Keycloak's not-before) every instance holds in memory, so each use of a
 * credential checks them with a map lookup, never a database read: one per user whose credentials were
 * ended (reset, disable, sign out everywhere), one for everyone (`tokens revoke --all`), and the signing
 * keys revoked (`keys revoke`), whose tokens are refused whenever they were issued.
 */
export class ValidAfter {
  private readonly users = new Map<string, number>();
  private readonly keys = new Set<string>();
  private everyone = -Infinity;

  /** Applies moves, from this instance, the fleet or the store; instants only ever move forward. */
  apply(moves: Iterable<ValidAfterMove>): void {
    for (const move of moves) {
      if (move.scope === 'key') this.keys.add(move.subject);
      else if (move.scope === 'all') this.everyone = Math.max(this.everyone, move.at);
      else this.users.set(move.subject, Math.max(this.users.get(move.subject) ?? -Infinity, move.at));
    }
  }

  /** The instant at or before which the user's credentials are refused (-Infinity: none). */
  of(userId: string): number {
    return Math.max(this.users.get(userId) ?? -Infinity, this.everyone);
  }

  /** Whether a credential issued at `issuedAt` (ms) is refused. */
  refusesInstant(userId: string, issuedAt: number): boolean {
    return issuedAt <= this.of(userId);
  }

  /**
   * Whether a token with `iat` in whole seconds is refused. Only a token whose whole second lies at or
   * before the instant is certainly older: one from the same second may be newer, and is judged exactly
   * elsewhere (its jti was revoked with the move, or its login was refused by the store).
   */
  refusesIat(userId: string, iatSeconds: number): boolean {
    return iatSeconds * 1000 + 999 <= this.of(userId);
  }

  keyRevoked(kid: string): boolean {
    return this.keys.has(kid);
  }
}
