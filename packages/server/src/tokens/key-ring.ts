import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningAlgorithm } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { KeyUse, SigningKeyRecord } from '../tokens/signing-key.js';
import { SealError, SecretBox } from './secret-box.js';

/** A verification key as the JWKS publishes it. */
export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

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
  publicJwk?: PublicJwk;
}

export interface KeyRingOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  algorithm: SigningAlgorithm;
  /**
   * JWT_SECRET, then JWT_SECRET_PREVIOUS: sealed keys are opened with the first that works. `current` may
   * be absent only for a ring that does not manage the keys (a CLI command that does not rotate).
   */
  secrets: { current: string | undefined; previous?: string | undefined };
  /** How long a rotated-out key must stay for verification: the longest lifetime of what it signed. */
  lifetimes: { accessMs: number; refreshMs: number };
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

const REFRESH_ALGORITHM = 'HS256';
/** Margin after the last token a retired key signed has expired, for clock differences between instances. */
const RETIREMENT_MARGIN_MS = 60_000;
const MIN_RELOAD_INTERVAL_MS = 1_000;

export class KeyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyUnavailableError';
  }
}

/**
 * The signing keys every instance shares through the store: generated on first start, sealed with
 * JWT_SECRET, rotated without invalidating what older keys signed, and retired once nothing they
 * signed can still be valid. Verification only ever uses keys found here, by `kid`.
 */
export class KeyRing {
  private keys = new Map<string, LoadedKey>();
  private active: { access?: LoadedKey; refresh?: LoadedKey } = {};
  private jwksCache: { keys: PublicJwk[] } = { keys: [] };
  private lastMissReload = -Infinity;
  private reloading: Promise<void> | undefined;
  private reloadAgain: Promise<void> | undefined;
  private readonly box: SecretBox | undefined;
  private readonly previousBox: SecretBox | undefined;

  private constructor(private readonly options: KeyRingOptions) {
    this.box = options.secrets.current ? new SecretBox(options.secrets.current) : undefined;
    this.previousBox = options.secrets.previous ? new SecretBox(options.secrets.previous) : undefined;
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
  jwks(): { keys: PublicJwk[] } {
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
    const record = await this.generate(use);
    await this.options.store.keys.rotate(record, retireNow ? this.options.clock.now() : this.retirementTime(use));
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
    if (!this.reloading) {
      this.reloading = this.doReload().finally(() => {
        this.reloading = undefined;
      });
      return this.reloading;
    }
    this.reloadAgain ??= this.reloading
      .catch(() => undefined)
      .then(() => {
        this.reloadAgain = undefined;
        return this.reload();
      });
    return this.reloadAgain;
  }

  /**
   * A key sealed with a secret the servers do not have would stop them at their next start: a rotation
   * from outside a server first proves that JWT_SECRET opens the key it replaces.
   */
  private async assertSecretOpensActive(use: KeyUse): Promise<void> {
    const current = (await this.options.store.keys.list()).find((r) => r.use === use && r.rotatedOutAt === null);
    if (!current) return;
    try {
      await this.sealBox().open(current.sealedKey);
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
      throw new KeyUnavailableError(
        `JWT_SECRET does not open the active ${use} signing key ${current.kid}: run this command with the servers' JWT_SECRET`,
      );
    }
  }

  private sealBox(): SecretBox {
    if (!this.box) throw new KeyUnavailableError('JWT_SECRET is not set: it is needed to seal a new signing key');
    return this.box;
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
    const records = (await this.options.store.keys.list()).filter(
      (r) => (r.expiresAt === null || r.expiresAt > now) && !revoked(r.kid),
    );
    const next = new Map<string, LoadedKey>();
    const active: typeof this.active = {};
    for (const record of records) {
      const known = this.keys.get(record.kid);
      const loaded: LoadedKey = known ? { ...known, record } : await this.load(record);
      const isActive = record.rotatedOutAt === null;
      // Refresh tokens are verified with the secret itself, so retiring refresh keys are opened too.
      if (this.options.manage && (isActive || record.use === 'refresh')) {
        try {
          loaded.sign ??= await this.openSigningKey(record);
        } catch (error) {
          if (isActive || !(error instanceof KeyUnavailableError)) throw error;
          this.options.logger.warn({ kid: record.kid }, 'a retiring refresh key cannot be opened; tokens it signed are refused');
          continue;
        }
        if (record.use === 'refresh') loaded.verify = loaded.sign;
      }
      next.set(record.kid, loaded);
      if (isActive) active[record.use] = loaded;
    }
    this.keys = next;
    this.active = active;
    this.jwksCache = { keys: [...next.values()].flatMap((k) => (k.publicJwk ? [k.publicJwk] : [])) };
  }

  private async ensureActive(use: KeyUse): Promise<void> {
    const records = await this.options.store.keys.list();
    const current = records.find((r) => r.use === use && r.rotatedOutAt === null);
    const wanted = use === 'access' ? this.options.algorithm : REFRESH_ALGORITHM;
    if (!current) {
      const created = await this.options.store.keys.insertIfNoneActive(await this.generate(use));
      this.options.logger.info({ kid: created.kid, use, alg: created.alg }, 'signing key ready');
      return;
    }
    if (current.alg !== wanted) {
      this.options.logger.warn(
        { from: current.alg, to: wanted, retiring: current.kid },
        `JWT_ALGORITHM changed from ${current.alg} to ${wanted}: rotating the access key (tokens signed with ${current.kid} stay valid until they expire)`,
      );
      await this.options.store.keys.rotate(await this.generate(use), this.retirementTime(use));
      await this.announce();
      return;
    }
    // Stored keys are never replaced because they cannot be opened, in any mode: that would sign
    // everyone out and leave the real configuration unable to start.
    if (!(await this.canOpen(current))) {
      throw new KeyUnavailableError(
        `JWT_SECRET does not open the stored ${use} signing key ${current.kid}. If JWT_SECRET was changed, ` +
          'set JWT_SECRET_PREVIOUS to the old value for one start so the keys are re-sealed. Stored keys are never replaced.',
      );
    }
  }

  private async canOpen(record: SigningKeyRecord): Promise<boolean> {
    try {
      await this.openSigningKey(record);
      return true;
    } catch (error) {
      if (error instanceof KeyUnavailableError) return false;
      throw error;
    }
  }

  private retirementTime(use: KeyUse): number {
    const lifetime = use === 'access' ? this.options.lifetimes.accessMs : this.options.lifetimes.refreshMs;
    return this.options.clock.now() + lifetime + RETIREMENT_MARGIN_MS;
  }

  private async generate(use: KeyUse): Promise<SigningKeyRecord> {
    const createdAt = this.options.clock.now();
    if (use === 'refresh') {
      return {
        kid: randomBytes(12).toString('base64url'),
        use,
        alg: REFRESH_ALGORITHM,
        publicJwk: null,
        sealedKey: await this.sealBox().seal(randomBytes(32).toString('base64url')),
        createdAt,
        rotatedOutAt: null,
        expiresAt: null,
      };
    }
    const alg = this.options.algorithm;
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    return {
      kid,
      use,
      alg,
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
      sealedKey: await this.sealBox().seal(JSON.stringify(await exportJWK(privateKey))),
      createdAt,
      rotatedOutAt: null,
      expiresAt: null,
    };
  }

  private async load(record: SigningKeyRecord): Promise<LoadedKey> {
    if (record.publicJwk === null) return { record, verify: new Uint8Array() };
    const publicJwk = JSON.parse(record.publicJwk) as PublicJwk;
    return { record, publicJwk, verify: (await importJWK(publicJwk, record.alg)) as CryptoKey };
  }

  /** Opens a sealed key with JWT_SECRET, else JWT_SECRET_PREVIOUS (re-sealing it with the current secret). */
  private async openSigningKey(record: SigningKeyRecord): Promise<CryptoKey | Uint8Array> {
    const material = await this.unseal(record);
    if (record.publicJwk === null) {
      // Imported once: handing jose raw bytes would make it import the HMAC key on every operation.
      const secret = Buffer.from(material, 'base64url');
      return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    }
    return (await importJWK(JSON.parse(material) as JWK, record.alg)) as CryptoKey;
  }

  private async unseal(record: SigningKeyRecord): Promise<string> {
    try {
      return await this.sealBox().open(record.sealedKey);
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
    }
    if (this.previousBox) {
      try {
        const material = await this.previousBox.open(record.sealedKey);
        await this.options.store.keys.updateSealedKey(record.kid, await this.sealBox().seal(material));
        this.options.logger.info({ kid: record.kid }, 'signing key re-sealed with the new JWT_SECRET');
        return material;
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
      }
    }
    throw new KeyUnavailableError(`no configured secret opens signing key ${record.kid}`);
  }
}
