import { type Binding, DecryptError } from '../../crypto/aead.ts';
import type { Executor, Trx } from '../../db/database.ts';
import { integrityError, integrityRecordOf } from '../../lib/integrity-error.ts';

/**
 * Where the MAC era of the audit chain begins is pinned under the barrier (ADR 0008), inside the
 * sealed value of the audit signing key: a row the server cannot unseal without, encrypted under
 * the keyring and bound to ('system_key', 'audit-signing', 'value'). So a database writer can
 * neither forge the pin nor remove it quietly: deleting or altering the row stops the unseal, and
 * its older, unpinned value exists only on a store migrated from before MACs, from before the
 * first start after the migration.
 *
 * The value: `{"v":2,"pkcs8":"<base64 DER>","macFrom":N}` when pinned; the bare PKCS#8 DER (the
 * form before the pin, which always starts with 0x30) when not yet pinned.
 */
export const AUDIT_SIGNING_KEY = 'audit-signing';

export interface SigningValue {
  pkcs8: Buffer;
  /** The first seq that carries a MAC, or null: not pinned yet (a migrated store never started since). */
  macFrom: number | null;
}

export function encodeSigningValue(v: SigningValue): Buffer {
  if (v.macFrom === null) return Buffer.from(v.pkcs8);
  if (!Number.isSafeInteger(v.macFrom) || v.macFrom < 1) throw new Error('the MAC start is a positive integer');
  return Buffer.from(JSON.stringify({ v: 2, pkcs8: v.pkcs8.toString('base64'), macFrom: v.macFrom }), 'utf8');
}

/** Throws DecryptError for a value that is neither form (the caller reports the record). */
export function decodeSigningValue(plain: Buffer): SigningValue {
  if (plain[0] !== 0x7b) return { pkcs8: plain, macFrom: null };
  try {
    const o = JSON.parse(plain.toString('utf8')) as { v?: unknown; pkcs8?: unknown; macFrom?: unknown };
    if (o.v === 2 && typeof o.pkcs8 === 'string' && Number.isSafeInteger(o.macFrom) && (o.macFrom as number) >= 1) {
      return { pkcs8: Buffer.from(o.pkcs8, 'base64'), macFrom: o.macFrom as number };
    }
  } catch {
    // reported below
  }
  throw new DecryptError();
}

/**
 * What the keys say about the MAC start, as read from the database now, against what this process
 * saw before (a pin is never undone: once seen, it is remembered until the process ends).
 */
export interface AuditPin {
  /** The pinned MAC start; null when the keys pin none. */
  macFrom: number | null;
  /** Set when the row is missing, does not authenticate, or no longer says what this process saw. */
  problem: string | null;
}

/**
 * Reads and writes the pin. `remember` is fed by the unseal (the value the keys held then); after
 * that a pin, once seen, is never forgotten by this process, so a pin removed from the database
 * while the server runs (or sealed, then unsealed again) is reported rather than taken for a store
 * that never had one.
 */
export function createAuditPinStore(deps: {
  db: Executor;
  binding: Binding;
  encrypt: (exec: Executor, binding: Binding, plaintext: Buffer) => Promise<string>;
  decrypt: (exec: Executor, binding: Binding, envelope: string) => Promise<Buffer>;
}) {
  let known: number | null = null;
  const row = (exec: Executor) =>
    exec.selectFrom('system_keys').select('value_enc').where('name', '=', AUDIT_SIGNING_KEY).executeTakeFirst();

  function remember(macFrom: number | null): void {
    known ??= macFrom;
  }

  /**
   * What the keys pin now, against what this process saw: a missing or undecryptable row, or a pin
   * that went away or changed, is a problem (verification reports it); `macFrom` is then the value
   * this process saw.
   */
  async function read(exec: Executor = deps.db): Promise<AuditPin> {
    const seen = known;
    const r = await row(exec);
    if (!r) return { macFrom: seen, problem: 'the sealed audit signing key, which pins the MAC start, is missing' };
    let macFrom: number | null;
    try {
      macFrom = decodeSigningValue(await deps.decrypt(exec, deps.binding, r.value_enc)).macFrom;
    } catch (e) {
      if (!(e instanceof DecryptError) && !integrityRecordOf(e)) throw e;
      return { macFrom: seen, problem: 'the sealed audit signing key, which pins the MAC start, does not authenticate' };
    }
    if (macFrom === null) {
      return { macFrom: seen, problem: seen === null ? null : `the MAC start pinned at record ${seen} was removed from the keys` };
    }
    if (seen !== null && seen !== macFrom) return { macFrom: seen, problem: `the keys pin the MAC start at ${macFrom}, not at ${seen}` };
    known = macFrom;
    return { macFrom, problem: null };
  }

  /**
   * Pins the MAC start (on a store migrated from before MACs: the first unsealed append, in the
   * transaction of the marker): the signing key's value is sealed again with the pin in it. Memory
   * follows when the pin is read back after the commit.
   */
  async function write(trx: Trx, macFrom: number): Promise<void> {
    const r = await row(trx);
    if (!r) throw integrityError(deps.binding);
    let current: SigningValue;
    try {
      current = decodeSigningValue(await deps.decrypt(trx, deps.binding, r.value_enc));
    } catch (e) {
      throw e instanceof DecryptError ? integrityError(deps.binding) : e;
    }
    if (current.macFrom === macFrom) return;
    if (current.macFrom !== null) throw integrityError(deps.binding);
    const value_enc = await deps.encrypt(trx, deps.binding, encodeSigningValue({ pkcs8: current.pkcs8, macFrom }));
    await trx.updateTable('system_keys').set({ value_enc }).where('name', '=', AUDIT_SIGNING_KEY).execute();
  }

  return { remember, read, write };
}
