import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
/** Ids drawn per call into the CSPRNG. */
const POOL_BYTES = ID_BYTES * 256;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A token id (`jti`): 16 bytes of node:crypto's CSPRNG as base64url, 22 characters. The bytes are
 * drawn 4 KiB at a time, as `crypto.randomUUID` does, instead of one `randomBytes(16)` call per id
 * (~3.5 µs each, two per login or refresh); no byte is handed out twice.
 */
export function newTokenId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
