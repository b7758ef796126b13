import type { SigningKeyRecord } from '../../tokens/signing-key.js';
import type { SigningKeyRepository } from '../store.js';
import { columns, SIGNING_KEY } from './columns.js';
import type { SqlDriver, SqlSession } from './sql-driver.js';
import { recordMove } from './valid-after.js';

const KEY_COLUMNS = columns(SIGNING_KEY);

/** Signing keys. Changes are rare; PostgreSQL serialises them so "one active key per use" is a plain check-then-act. */
export class SqlSigningKeys implements SigningKeyRepository {
  constructor(private readonly db: SqlDriver) {}

  list(): Promise<SigningKeyRecord[]> {
    return this.db.all<SigningKeyRecord>(`SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at`);
  }

  insertIfNoneActive(key: SigningKeyRecord): Promise<SigningKeyRecord> {
    return this.db.transaction(async (tx) => {
      await tx.lockTable('signing_keys', 'EXCLUSIVE');
      const active = await activeKey(tx, key.use);
      if (active) return active;
      await insertKey(tx, key);
      return key;
    });
  }

  async rotate(key: SigningKeyRecord, previousExpiresAt: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.lockTable('signing_keys', 'EXCLUSIVE');
      await tx.run('UPDATE signing_keys SET rotated_out_at = ?, expires_at = ? WHERE use = ? AND rotated_out_at IS NULL', [
        key.createdAt,
        previousExpiresAt,
        key.use,
      ]);
      await insertKey(tx, key);
    });
  }

  async updateSealedKey(kid: string, sealedKey: string): Promise<void> {
    await this.db.run('UPDATE signing_keys SET sealed_key = ? WHERE kid = ?', [sealedKey, kid]);
  }

  revoke(kid: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.lockTable('signing_keys', 'EXCLUSIVE');
      const changed = await tx.run(
        'UPDATE signing_keys SET rotated_out_at = COALESCE(rotated_out_at, ?), expires_at = ? WHERE kid = ?',
        [now, now, kid],
      );
      if (changed === 0) return false;
      await recordMove(tx, { scope: 'key', subject: kid, at: now });
      return true;
    });
  }
}

function activeKey(tx: SqlSession, use: string): Promise<SigningKeyRecord | null> {
  return tx.get<SigningKeyRecord>(`SELECT ${KEY_COLUMNS} FROM signing_keys WHERE use = ? AND rotated_out_at IS NULL`, [use]);
}

async function insertKey(tx: SqlSession, key: SigningKeyRecord): Promise<void> {
  await tx.run(
    `INSERT INTO signing_keys (kid, use, alg, public_jwk, sealed_key, created_at, rotated_out_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [key.kid, key.use, key.alg, key.publicJwk, key.sealedKey, key.createdAt, key.rotatedOutAt, key.expiresAt],
  );
}
