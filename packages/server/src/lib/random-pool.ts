import { randomFillSync } from 'node:crypto';

// Random bytes for ids taken from a pool refilled 8 KiB at a time: one call into the CSPRNG per
// few hundred ids instead of one per id (the same trick node:crypto uses for randomUUID). Only for
// identifiers; keys, tokens and nonces come straight from randomBytes.
const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `n` (<= 256) fresh random bytes; the returned view is valid until the next call. */
export function poolBytes(n: number): Buffer {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}
