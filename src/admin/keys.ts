import type { AuditLog } from '../audit/audit-log.js';
import type { KeyUse } from '../store/store.js';
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
}
