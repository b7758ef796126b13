import { importJWK, type CryptoKey, type JWK } from 'jose';
import { KeyUnavailableError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Store } from '../../store/store.js';
import type { KeyUse, SigningKeyRecord } from '../../tokens/signing-key.js';
import { SealError, SecretBox } from '../secret-box.js';
import type { PublicJwk } from './jwks-document.js';
import { generateKey } from './key-generation.js';

export { KeyUnavailableError };

export interface KeyVaultOptions {
  store: Store;
  logger: Logger;
  /**
   * JWT_SECRET, then JWT_SECRET_PREVIOUS: sealed keys are opened with the first that works. `current` may
   * be absent only where no key is created or opened (a CLI command that only reads).
   */
  secrets: { current: string | undefined; previous?: string | undefined };
}

/** A stored key's verification side, which needs no secret. */
export interface PublicKeyPart {
  /** Parsed public JWK; absent for symmetric (refresh) keys, which have no public part. */
  publicJwk: PublicJwk | undefined;
  key: CryptoKey | undefined;
}

/**
 * Key storage and sealing: new keys are generated and sealed with JWT_SECRET before they reach the
 * store; stored keys are opened with JWT_SECRET, else JWT_SECRET_PREVIOUS (and then re-sealed with the
 * current secret). Nothing here decides when keys rotate.
 */
export class KeyVault {
  private readonly box: SecretBox | undefined;
  private readonly previousBox: SecretBox | undefined;

  constructor(private readonly options: KeyVaultOptions) {
    this.box = options.secrets.current ? new SecretBox(options.secrets.current) : undefined;
    this.previousBox = options.secrets.previous ? new SecretBox(options.secrets.previous) : undefined;
  }

  list(): Promise<SigningKeyRecord[]> {
    return this.options.store.keys.list();
  }

  /** A new key of `use`, sealed, not yet stored. */
  async create(use: KeyUse, alg: string, now: number): Promise<SigningKeyRecord> {
    const generated = await generateKey(use, alg);
    return {
      kid: generated.kid,
      use,
      alg: generated.alg,
      publicJwk: generated.publicJwk && JSON.stringify(generated.publicJwk),
      sealedKey: await this.sealBox().seal(generated.secret),
      createdAt: now,
      rotatedOutAt: null,
      expiresAt: null,
    };
  }

  /** Stores `record` unless a key of its use is already active (another instance won); returns the active one. */
  insertIfNoneActive(record: SigningKeyRecord): Promise<SigningKeyRecord> {
    return this.options.store.keys.insertIfNoneActive(record);
  }

  /** Stores `record` as the active key of its use; the one it replaces verifies until `retireAt`. */
  replaceActive(record: SigningKeyRecord, retireAt: number): Promise<void> {
    return this.options.store.keys.rotate(record, retireAt);
  }

  /** The public part of a stored key, imported once. */
  async publicPart(record: SigningKeyRecord): Promise<PublicKeyPart> {
    if (record.publicJwk === null) return { publicJwk: undefined, key: undefined };
    const publicJwk = JSON.parse(record.publicJwk) as PublicJwk;
    return { publicJwk, key: (await importJWK(publicJwk, record.alg)) as CryptoKey };
  }

  /** Opens a sealed key for signing (and, for a symmetric key, verifying). */
  async open(record: SigningKeyRecord): Promise<CryptoKey> {
    const material = await this.unseal(record);
    if (record.publicJwk === null) {
      // Imported once: handing jose raw bytes would make it import the HMAC key on every operation.
      const secret = Buffer.from(material, 'base64url');
      return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    }
    return (await importJWK(JSON.parse(material) as JWK, record.alg)) as CryptoKey;
  }

  /** Whether a configured secret opens `record`. */
  async canOpen(record: SigningKeyRecord): Promise<boolean> {
    try {
      await this.unseal(record);
      return true;
    } catch (error) {
      if (error instanceof KeyUnavailableError) return false;
      throw error;
    }
  }

  /** Whether JWT_SECRET itself (not the previous secret) opens `record`. */
  async currentSecretOpens(record: SigningKeyRecord): Promise<boolean> {
    try {
      await this.sealBox().open(record.sealedKey);
      return true;
    } catch (error) {
      if (error instanceof SealError) return false;
      throw error;
    }
  }

  private sealBox(): SecretBox {
    if (!this.box) throw new KeyUnavailableError('JWT_SECRET is not set: it is needed to seal a new signing key');
    return this.box;
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
