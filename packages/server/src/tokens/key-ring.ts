import type { CryptoKey } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningAlgorithm } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { KeyUse, SigningKeyRecord } from '../tokens/signing-key.js';
import { CoalescedReload } from './keys/coalesced-reload.js';
import { jwksDocument, type JwksDocument, type PublicJwk } from './keys/jwks-document.js';
import { activeKey, retirementTime, startupAction, stillVerifies, algorithmFor, type KeyLifetimes } from './keys/key-rotation-policy.js';
import { KeyUnavailableError, KeyVault } from './keys/key-vault.js';

export { KeyUnavailableError } from './keys/key-vault.js';
export type { PublicJwk } from './keys/jwks-document.js';

export interface SigningKey {
  kid: string;
  alg: string;
  key: CryptoKey | Uint8Array;
}

interface LoadedKey {
  record: SigningKeyRecord;
  /** Verification key: the public key for access keys, the shared secret for refresh keys. */
  verify: CryptoKey | Uint8Array;
  /** Signing key: present once its sealed private part has been opened. */
  sign?: CryptoKey | Uint8Array;
  publicJwk?: PublicJwk | undefined;
}

export interface KeyRingOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  algorithm: SigningAlgorithm;
  /** JWT_SECRET and JWT_SECRET_PREVIOUS, for the key vault. */
  secrets: { current: string | undefined; previous?: string | undefined };
  /** How long a rotated-out key must stay for verification: the longest lifetime of what it signed. */
  lifetimes: KeyLifetimes;
  /**
   * `serve` only: create the first keys, switch to a changed JWT_ALGORITHM, re-seal keys opened with
   * JWT_SECRET_PREVIOUS. Without it the ring only reads the stored keys (and `rotate` is the one write).
   */
  manage: boolean;
  /** Tells the other instances that the stored keys changed (a fleet event); they re-read them. */
  announceChange?: (() => Promise<void>) | undefined;
  /** Keys revoked (`keys revoke`), as the revocation feed knows them: dropped on reload whatever the clocks say. */
  isRevoked?: ((kid: string) => boolean) | undefined;
}

const MIN_RELOAD_INTERVAL_MS = 1_000;

/**
 * The signing keys every instance shares through the store, loaded in memory: the active key of each
 * use signs, and every key not yet retired verifies, found by `kid`. Storage and sealing are the
 * vault's (`keys/key-vault.ts`), when keys are made and retired the rotation policy's
 * (`keys/key-rotation-policy.ts`), and the published document `keys/jwks-document.ts`'s.
 */
export class KeyRing {
  private keys = new Map<string, LoadedKey>();
  private active: { access?: LoadedKey; refresh?: LoadedKey } = {};
  private jwksCache: JwksDocument = { keys: [] };
  private lastMissReload = -Infinity;
  private readonly vault: KeyVault;
  private readonly reloader = new CoalescedReload(() => this.doReload());

  private constructor(private readonly options: KeyRingOptions) {
    this.vault = new KeyVault(options);
  }

  /**
   * Loads the keys. A managing ring (`serve`) creates the first ones and switches algorithm as needed;
   * any other only reads what is stored, without opening the sealed parts.
   */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options);
    if (options.manage) {
      await ring.ensureActive('access');
      await ring.ensureActive('refresh');
    }
    await ring.reload();
    return ring;
  }

  signingKey(use: KeyUse): SigningKey {
    const loaded = this.active[use];
    if (!loaded?.sign) throw new KeyUnavailableError(`no ${use} signing key is loaded`);
    return { kid: loaded.record.kid, alg: loaded.record.alg, key: loaded.sign };
  }

  /** The verification key for `kid` if it is ours, of the given use, and not yet retired. */
  verificationKey(kid: string, use: KeyUse): { alg: string; key: CryptoKey | Uint8Array } | undefined {
    const loaded = this.keys.get(kid);
    if (!loaded || loaded.record.use !== use) return undefined;
    const { expiresAt } = loaded.record;
    if (expiresAt !== null && expiresAt <= this.options.clock.now()) return undefined;
    return { alg: loaded.record.alg, key: loaded.verify };
  }

  /** Like `verificationKey`, but a miss re-reads the store first (at most once a second). */
  async findVerificationKey(kid: string, use: KeyUse): Promise<{ alg: string; key: CryptoKey | Uint8Array } | undefined> {
    const found = this.verificationKey(kid, use);
    if (found) return found;
    // Unknown kids are attacker-controlled: they may cost at most one store read a second.
    const now = this.options.clock.now();
    if (now - this.lastMissReload < MIN_RELOAD_INTERVAL_MS) return undefined;
    this.lastMissReload = now;
    await this.reload();
    return this.verificationKey(kid, use);
  }

  /** The public keys that verify access tokens, for /.well-known/jwks.json. */
  jwks(): JwksDocument {
    return this.jwksCache;
  }

  /** Every stored key with its state, for operators. */
  describe(): Array<{ kid: string; use: KeyUse; alg: string; state: 'active' | 'retiring'; createdAt: number; expiresAt: number | null }> {
    return [...this.keys.values()].map(({ record }) => ({
      kid: record.kid,
      use: record.use,
      alg: record.alg,
      state: record.rotatedOutAt === null ? 'active' : 'retiring',
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
    }));
  }

  /**
   * Makes a fresh key the signing key of `use`; the old one verifies until what it signed has expired —
   * or, with `retireNow` (a leaked key being revoked), not at all from now on.
   */
  async rotate(use: KeyUse = 'access', { retireNow = false } = {}): Promise<string> {
    if (!this.options.manage) await this.assertSecretOpensActive(use);
    const now = this.options.clock.now();
    const record = await this.vault.create(use, algorithmFor(use, this.options.algorithm), now);
    await this.vault.replaceActive(record, retirementTime(use, now, this.options.lifetimes, { retireNow }));
    await this.reload();
    this.options.logger.info({ kid: record.kid, use }, 'signing key rotated');
    await this.announce();
    return record.kid;
  }

  /** Re-reads the keys after a change made through the store directly (a key revoked) and tells the others. */
  async changed(): Promise<void> {
    await this.reload();
    await this.announce();
  }

  /**
   * Re-reads the keys from the store (another instance may have rotated them). The read starts after
   * the call: a reload already under way may have read the store before the change that prompted it.
   */
  reload(): Promise<void> {
    return this.reloader.run();
  }

  /**
   * A key sealed with a secret the servers do not have would stop them at their next start: a rotation
   * from outside a server first proves that JWT_SECRET opens the key it replaces.
   */
  private async assertSecretOpensActive(use: KeyUse): Promise<void> {
    const current = activeKey(await this.vault.list(), use);
    if (!current || (await this.vault.currentSecretOpens(current))) return;
    throw new KeyUnavailableError(
      `JWT_SECRET does not open the active ${use} signing key ${current.kid}: run this command with the servers' JWT_SECRET`,
    );
  }

  /** The store is the record: an announcement that fails only delays the others until their next reload. */
  private async announce(): Promise<void> {
    try {
      await this.options.announceChange?.();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not announce the key change; other instances reload on their timer');
    }
  }

  private async doReload(): Promise<void> {
    const now = this.options.clock.now();
    const revoked = this.options.isRevoked ?? (() => false);
    const records = (await this.vault.list()).filter((r) => stillVerifies(r, now, revoked));
    const next = new Map<string, LoadedKey>();
    const active: typeof this.active = {};
    for (const record of records) {
      const loaded = await this.loadKey(record);
      if (!loaded) continue;
      next.set(record.kid, loaded);
      if (record.rotatedOutAt === null) active[record.use] = loaded;
    }
    this.keys = next;
    this.active = active;
    this.jwksCache = jwksDocument([...next.values()].map((k) => k.publicJwk));
  }

  /** A stored key ready for use; undefined for a retiring refresh key no configured secret opens. */
  private async loadKey(record: SigningKeyRecord): Promise<LoadedKey | undefined> {
    const known = this.keys.get(record.kid);
    const loaded: LoadedKey = known ? { ...known, record } : await this.loadPublicPart(record);
    const isActive = record.rotatedOutAt === null;
    // Refresh tokens are verified with the secret itself, so retiring refresh keys are opened too.
    if (!this.options.manage || (!isActive && record.use !== 'refresh')) return loaded;
    try {
      loaded.sign ??= await this.vault.open(record);
    } catch (error) {
      if (isActive || !(error instanceof KeyUnavailableError)) throw error;
      this.options.logger.warn({ kid: record.kid }, 'a retiring refresh key cannot be opened; tokens it signed are refused');
      return undefined;
    }
    if (record.use === 'refresh') loaded.verify = loaded.sign;
    return loaded;
  }

  private async loadPublicPart(record: SigningKeyRecord): Promise<LoadedKey> {
    const { publicJwk, key } = await this.vault.publicPart(record);
    return { record, publicJwk, verify: key ?? new Uint8Array() };
  }

  private async ensureActive(use: KeyUse): Promise<void> {
    const action = startupAction(await this.vault.list(), use, this.options.algorithm);
    const now = this.options.clock.now();
    if (action.kind === 'create') {
      const created = await this.vault.insertIfNoneActive(await this.vault.create(use, algorithmFor(use, this.options.algorithm), now));
      this.options.logger.info({ kid: created.kid, use, alg: created.alg }, 'signing key ready');
      return;
    }
    if (action.kind === 'switch-algorithm') {
      const { current, to } = action;
      this.options.logger.warn(
        { from: current.alg, to, retiring: current.kid },
        `JWT_ALGORITHM changed from ${current.alg} to ${to}: rotating the access key (tokens signed with ${current.kid} stay valid until they expire)`,
      );
      await this.vault.replaceActive(await this.vault.create(use, to, now), retirementTime(use, now, this.options.lifetimes));
      await this.announce();
      return;
    }
    // Stored keys are never replaced because they cannot be opened, in any mode: that would sign
    // everyone out and leave the real configuration unable to start.
    if (!(await this.vault.canOpen(action.current))) {
      throw new KeyUnavailableError(
        `JWT_SECRET does not open the stored ${use} signing key ${action.current.kid}. If JWT_SECRET was changed, ` +
          'set JWT_SECRET_PREVIOUS to the old value for one start so the keys are re-sealed. Stored keys are never replaced.',
      );
    }
  }
}
