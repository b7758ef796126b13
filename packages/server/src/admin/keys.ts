import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import { TesseraError } from '../errors.js';
import type { KeyUse } from '../tokens/signing-key.js';
import type { KeyRing } from '../tokens/key-ring.js';
import type { Actor } from './actor.js';

export type KeyDescription = ReturnType<KeyRing['describe']>[number];

/**
 * Signing keys for operators. Rotation makes a fresh key sign from that moment; the previous one keeps
 * verifying (and stays in the JWKS) until everything it signed has expired, then retires by itself.
 * Other instances sign with the new key after their next key reload (5 s), or at once when they meet its kid.
 */
export class KeyAdmin {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly audit: AuditLog,
    private readonly revoker: Revoker,
  ) {}

  /** Every key still in use, read fresh from the store (another instance or the CLI may have rotated). */
  async list(): Promise<KeyDescription[]> {
    await this.keyRing.reload();
    return this.keyRing.describe();
  }

  async rotate(use: KeyUse, actor: Actor): Promise<{ key: KeyDescription; previous: KeyDescription | undefined }> {
    const before = (await this.list()).find((k) => k.use === use && k.state === 'active');
    const kid = await this.keyRing.rotate(use);
    const keys = this.keyRing.describe();
    const key = keys.find((k) => k.kid === kid)!;
    const previous = keys.find((k) => k.kid === before?.kid);
    this.audit.record({
      type: 'admin.key.rotate',
      actor: actor.id,
      client: actor.client,
      detail: { use, kid, previousKid: before?.kid ?? null },
    });
    return { key, previous };
  }

  /**
   * Revokes a leaked key: it leaves the JWKS and everything it signed is refused at once, here and (by the
   * revocation feed) on every instance, whenever it was issued. An active key is first replaced by a new one.
   */
  async revoke(kid: string, actor: Actor): Promise<{ revoked: KeyDescription; replacement: KeyDescription | undefined }> {
    const revoked = (await this.list()).find((k) => k.kid === kid);
    if (!revoked) throw new TesseraError('not_found', `No signing key with kid ${JSON.stringify(kid)}`);
    const replacementKid = revoked.state === 'active' ? await this.keyRing.rotate(revoked.use, { retireNow: true }) : undefined;
    await this.revoker.revokeKey(kid);
    await this.keyRing.changed();
    const replacement = this.keyRing.describe().find((k) => k.kid === replacementKid);
    this.audit.record({
      type: 'admin.key.revoke',
      actor: actor.id,
      client: actor.client,
      detail: { use: revoked.use, kid, replacementKid: replacementKid ?? null },
    });
    return { revoked, replacement };
  }
}
