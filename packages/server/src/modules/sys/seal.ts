import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Binding, DecryptError } from '../../crypto/aead.ts';
import { createKeyring, envelopeTerm, type Keyring, newDataKey, unwrapDataKey, wrapDataKey } from '../../crypto/keyring.ts';
import { combineShares, decodeShare, encodeShare, type Share, splitSecret } from '../../crypto/shamir.ts';
import { constantTimeEqual, sha256Hex } from '../../crypto/tokens.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { integrityError } from '../../lib/integrity-error.ts';
import { AUDIT_SIGNING_KEY, createAuditPinStore, decodeSigningValue, encodeSigningValue } from './audit-pin.ts';
import { ensureServerKey, generateServerKey, OPENPGP_SERVER_KEY } from './openpgp-server-key.ts';

export type UnsealMode = 'keyfile' | 'shamir';

export interface UnsealedKeys {
  keyring: Keyring;
  /** Key of the keyed hashes of session tokens, refresh tokens, API keys and recovery codes. */
  tokenHmacKey: Buffer;
  /** Key of HMACs of values that audit records must be able to correlate without revealing. */
  auditHmacKey: Buffer;
  auditSigner: { keyId: string; privateKey: KeyObject };
}

export interface SealStatus {
  initialized: boolean;
  sealed: boolean;
  mode: UnsealMode | null;
  threshold: number | null;
  shares: number | null;
  progress: number;
  activeTerm: number | null;
}

const systemKeyBinding = (name: string) => ({ type: 'system_key', id: name, field: 'value' });

/**
 * The barrier's state: sealed (nothing decryptable, the root key unknown) or unsealed (the root key
 * and the keyring in memory). The root key is kept while unsealed so a new key term can be wrapped
 * during online rotation, as Vault does.
 */
export function createSealManager(deps: { db: Db; clock: Clock; keyFile: string }) {
  let rootKey: Buffer | undefined;
  let keys: UnsealedKeys | undefined;
  let pending: Share[] = [];
  /** Given to whoever entered the first pending share: only they may reset the progress. */
  let pendingNonce: string | undefined;
  let cachedConfig: { mode: UnsealMode; shares: number; threshold: number } | undefined;
  // the MAC start pinned under the keys, as this process saw it (audit-pin.ts)
  const auditPin = createAuditPinStore({
    db: deps.db,
    binding: systemKeyBinding(AUDIT_SIGNING_KEY),
    encrypt: (...a) => encrypt(...a),
    decrypt: (...a) => decrypt(...a),
  });

  async function sealConfig(db: Executor = deps.db) {
    if (cachedConfig) return cachedConfig;
    const row = await db.selectFrom('seal_config').selectAll().where('id', '=', 1).executeTakeFirst();
    if (row) cachedConfig = { mode: row.mode, shares: row.shares, threshold: row.threshold };
    return cachedConfig;
  }

  async function status(): Promise<SealStatus> {
    const cfg = await sealConfig();
    return {
      initialized: cfg !== undefined,
      sealed: keys === undefined,
      mode: cfg?.mode ?? null,
      threshold: cfg?.threshold ?? null,
      shares: cfg?.shares ?? null,
      progress: pending.length,
      activeTerm: keys?.keyring.activeTerm ?? null,
    };
  }

  /**
   * First start: creates the seal configuration, key term 1 and the system keys. In key-file mode
   * the root key is written (mode 0600) to the key file and the barrier is unsealed; in Shamir
   * mode the shares are returned once and the barrier stays sealed.
   */
  async function initialize(
    opts: {
      mode: UnsealMode;
      shares?: number;
      threshold?: number;
      /** Where the audit MAC era begins, pinned with the keys (null: pin it at the first unsealed append). Default 1. */
      auditMacFrom?: (trx: Trx) => Promise<number | null>;
    },
    /** Runs in the same transaction (first administrator, audit records): all or nothing. */
    alsoInTransaction: (trx: Trx) => Promise<void> = async () => {},
  ): Promise<{ shares: string[] | null; keyFile: string | null }> {
    const n = opts.mode === 'shamir' ? (opts.shares ?? 5) : 1;
    const k = opts.mode === 'shamir' ? (opts.threshold ?? 3) : 1;
    if (opts.mode === 'shamir' && (k < 2 || n < k || n > 20)) {
      throw new AppError('validation.failed', 'Shamir needs 2 <= threshold <= shares <= 20.');
    }
    const root = randomBytes(32);
    const now = deps.clock.now();
    const dataKey = newDataKey();
    const keyring = createKeyring([{ term: 1, key: dataKey }], 1);
    const tokenHmacKey = randomBytes(32);
    const auditHmacKey = randomBytes(32);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const priv = privateKey.export({ format: 'der', type: 'pkcs8' });
    const pubPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const pgp = await generateServerKey();
    // the key file first (it refuses to overwrite one); removed again if the store is not written
    if (opts.mode === 'keyfile') writeKeyFile(deps.keyFile, root);
    try {
      await deps.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('seal_config')
          .values({ id: 1, mode: opts.mode, shares: n, threshold: k, install_id: newId('ins', now), created_at: now })
          .execute();
        await trx
          .insertInto('keyring_terms')
          .values({ term: 1, wrapped_key: wrapDataKey(root, 1, dataKey), created_at: now })
          .execute();
        await trx.insertInto('keyring_state').values({ id: 1, active_term: 1 }).execute();
        const put = (name: string, value: Buffer, pub: string | null) =>
          trx
            .insertInto('system_keys')
            .values({ name, value_enc: keyring.encrypt(systemKeyBinding(name), value), public_value: pub, created_at: now })
            .execute();
        await put('token-hmac', tokenHmacKey, null);
        await put('audit-hmac', auditHmacKey, null);
        const macFrom = opts.auditMacFrom ? await opts.auditMacFrom(trx) : 1;
        await put(AUDIT_SIGNING_KEY, encodeSigningValue({ pkcs8: priv, macFrom }), pubPem);
        await put(OPENPGP_SERVER_KEY, Buffer.from(pgp.armoredPrivate, 'utf8'), pgp.armoredPublic);
        await alsoInTransaction(trx);
      });
    } catch (e) {
      if (opts.mode === 'keyfile') rmSync(deps.keyFile, { force: true });
      if (await sealConfig()) throw new AppError('sys.already_initialized', 'Coffer is already initialised.', { cause: e });
      throw e;
    }
    cachedConfig = { mode: opts.mode, shares: n, threshold: k };
    if (opts.mode === 'keyfile') {
      await unsealWithRoot(root);
      return { shares: null, keyFile: deps.keyFile };
    }
    const shares = splitSecret(root, n, k).map(encodeShare);
    root.fill(0);
    return { shares, keyFile: null };
  }

  async function loadKeys(root: Buffer, db: Executor = deps.db): Promise<UnsealedKeys> {
    const terms = await db.selectFrom('keyring_terms').selectAll().orderBy('term').execute();
    const state = await db.selectFrom('keyring_state').selectAll().where('id', '=', 1).executeTakeFirst();
    if (terms.length === 0 || !state) throw new AppError('sys.not_initialized', 'Coffer is not initialised.');
    const keyring = createKeyring(
      terms.map((t) => ({ term: t.term, key: unwrapDataKey(root, t.term, t.wrapped_key) })),
      state.active_term,
    );
    const sys = await db.selectFrom('system_keys').selectAll().execute();
    // the root key was right (the terms unwrapped): a system key that is missing or does not
    // authenticate was removed or altered in the database, and the barrier stays sealed
    const get = (name: string) => {
      const row = sys.find((r) => r.name === name);
      if (!row) throw integrityError(systemKeyBinding(name));
      try {
        return { value: keyring.decrypt(systemKeyBinding(name), row.value_enc), pub: row.public_value };
      } catch (e) {
        if (e instanceof DecryptError) throw integrityError(systemKeyBinding(name));
        throw e;
      }
    };
    let signing: ReturnType<typeof decodeSigningValue>;
    try {
      signing = decodeSigningValue(get(AUDIT_SIGNING_KEY).value);
    } catch (e) {
      if (e instanceof DecryptError) throw integrityError(systemKeyBinding(AUDIT_SIGNING_KEY));
      throw e;
    }
    auditPin.remember(signing.macFrom);
    const privateKey = createPrivateKey({ key: signing.pkcs8, format: 'der', type: 'pkcs8' });
    const keyId = sha256Hex(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })).slice(0, 16);
    return {
      keyring,
      tokenHmacKey: get('token-hmac').value,
      auditHmacKey: get('audit-hmac').value,
      auditSigner: { keyId, privateKey },
    };
  }

  async function unsealWithRoot(root: Buffer): Promise<void> {
    try {
      keys = await loadKeys(root);
      rootKey = Buffer.from(root);
      pending = [];
      pendingNonce = undefined;
    } catch (e) {
      if (e instanceof DecryptError) throw new AppError('sys.unseal_failed', 'The unseal key is wrong.');
      throw e;
    }
    await ensureOpenpgpKey();
  }

  /** A store from before the server's OpenPGP key (migration 0018) gets one at its first unseal. */
  const ensureOpenpgpKey = () =>
    ensureServerKey(deps.db, deps.clock.now(), (value) => encrypt(deps.db, systemKeyBinding(OPENPGP_SERVER_KEY), value));

  /** The server's armored OpenPGP private key (unsealed only; for the Passbolt API's GPGAuth). */
  async function openpgpPrivateKey(exec: Executor = deps.db): Promise<string> {
    const row = await exec.selectFrom('system_keys').select('value_enc').where('name', '=', OPENPGP_SERVER_KEY).executeTakeFirst();
    if (!row) throw integrityError(systemKeyBinding(OPENPGP_SERVER_KEY));
    return (await decrypt(exec, systemKeyBinding(OPENPGP_SERVER_KEY), row.value_enc)).toString('utf8');
  }

  /** Key-file mode at start: reads the key file and unseals. Shamir mode: stays sealed. */
  async function autoUnseal(): Promise<void> {
    const cfg = await sealConfig();
    if (!cfg || cfg.mode !== 'keyfile' || keys) return;
    if (!existsSync(deps.keyFile)) {
      throw new Error(`the key file ${deps.keyFile} is missing: Coffer cannot unseal (set COFFER_KEY_FILE)`);
    }
    const root = Buffer.from(readFileSync(deps.keyFile, 'utf8').trim(), 'base64');
    if (root.length !== 32) throw new Error(`the key file ${deps.keyFile} does not hold a 32-byte key`);
    await unsealWithRoot(root);
    root.fill(0);
  }

  /**
   * Shamir mode: adds one share. When `threshold` distinct shares are in, they are combined; a
   * wrong combination resets the progress and fails. Shares never leave this function.
   */
  async function submitShare(text: string): Promise<SealStatus & { nonce?: string }> {
    const cfg = await sealConfig();
    if (!cfg) throw new AppError('sys.not_initialized', 'Coffer is not initialised.');
    if (keys) return status();
    if (cfg.mode !== 'shamir') throw new AppError('validation.failed', 'This server unseals with its key file, not with shares.');
    const share = decodeShare(text);
    if (!share || share.y.length !== 32 || share.x > cfg.shares) {
      throw new AppError('validation.failed', 'That is not a valid unseal share.');
    }
    let nonce: string | undefined;
    if (pending.length === 0) {
      nonce = randomBytes(16).toString('hex');
      pendingNonce = nonce;
    }
    if (!pending.some((s) => s.x === share.x)) pending.push(share);
    if (pending.length >= cfg.threshold) {
      const root = combineShares(pending);
      pending = [];
      pendingNonce = undefined;
      try {
        await unsealWithRoot(root);
      } finally {
        root.fill(0);
      }
    }
    const s = await status();
    return nonce !== undefined && s.sealed ? { ...s, nonce } : s;
  }

  /**
   * Discards the pending shares; only with the nonce given for the first of them, so an anonymous
   * caller cannot undo the share holders' work (Vault's unseal nonce). Nothing pending: nothing to do.
   */
  function resetProgress(nonce: string): void {
    if (pending.length === 0) return;
    if (pendingNonce === undefined || !constantTimeEqual(nonce, pendingNonce)) {
      throw new AppError(
        'sys.unseal_nonce_invalid',
        'Only whoever entered the first share can reset the unseal progress: give the nonce its answer returned.',
      );
    }
    pending = [];
    pendingNonce = undefined;
  }

  function seal(): void {
    keys?.keyring.wipe();
    keys?.tokenHmacKey.fill(0);
    keys?.auditHmacKey.fill(0);
    rootKey?.fill(0);
    keys = undefined;
    rootKey = undefined;
    pending = [];
    pendingNonce = undefined;
  }

  function requireKeys(): UnsealedKeys {
    if (!keys) throw new AppError('sys.sealed', 'Coffer is sealed.');
    return keys;
  }

  /**
   * Online rotation, step 1: a new key term, wrapped by the root key, becomes active for every new
   * write at once (after commit, see reloadKeyring). Old terms stay readable; the re-encryption job moves old ciphertexts over.
   */
  async function addTerm(trx: Trx): Promise<number> {
    requireKeys();
    if (!rootKey) throw new AppError('sys.sealed', 'Coffer is sealed.');
    const last = await trx.selectFrom('keyring_terms').select('term').orderBy('term', 'desc').limit(1).executeTakeFirstOrThrow();
    const term = last.term + 1;
    const dataKey = newDataKey();
    await trx
      .insertInto('keyring_terms')
      .values({ term, wrapped_key: wrapDataKey(rootKey, term, dataKey), created_at: deps.clock.now() })
      .execute();
    await trx.updateTable('keyring_state').set({ active_term: term }).where('id', '=', 1).execute();
    dataKey.fill(0);
    // memory follows only after the commit (the caller reloads): a rolled-back rotation leaves no
    // unsaved term in use
    return term;
  }

  /** Another node rotated: pick up new terms (called when a ciphertext names an unknown term). */
  async function reloadKeyring(exec: Executor = deps.db): Promise<void> {
    if (!rootKey) return;
    keys = await loadKeys(rootKey, exec);
  }

  /**
   * Encrypts under the cluster's active term. Another node may have rotated: the active term is
   * read from the database (one primary-key lookup) and the keyring reloaded when it moved, so a
   * new term takes every new write at once on every node.
   */
  async function encrypt(exec: Executor, binding: Binding, plaintext: Buffer | string): Promise<string> {
    const state = await exec.selectFrom('keyring_state').select('active_term').where('id', '=', 1).executeTakeFirst();
    if (state && state.active_term !== requireKeys().keyring.activeTerm) await reloadKeyring(exec);
    return requireKeys().keyring.encrypt(binding, plaintext);
  }

  /**
   * Decrypts; a ciphertext of a term this node has not loaded yet triggers a reload first. A
   * ciphertext that does not authenticate (altered, moved from another record or field, of an
   * unknown term, malformed) is an `integrity.failed` naming the binding — unless the barrier was
   * sealed meanwhile (the keys are gone, the data is not at fault).
   */
  async function decrypt(exec: Executor, binding: Binding, envelope: string): Promise<Buffer> {
    const k = requireKeys();
    const damaged = (e: unknown) => {
      if (!(e instanceof DecryptError)) return e;
      requireKeys();
      return integrityError(binding);
    };
    let term: number;
    try {
      term = envelopeTerm(envelope);
    } catch (e) {
      throw damaged(e);
    }
    // outside the try: a failure while reloading the keyring is not this value's fault
    if (!k.keyring.terms.includes(term)) await reloadKeyring(exec);
    try {
      return requireKeys().keyring.decrypt(binding, envelope);
    } catch (e) {
      throw damaged(e);
    }
  }

  return {
    status,
    sealConfig,
    readAuditPin: auditPin.read,
    writeAuditPin: auditPin.write,
    initialize,
    autoUnseal,
    submitShare,
    resetProgress,
    seal,
    requireKeys,
    encrypt,
    decrypt,
    addTerm,
    reloadKeyring,
    openpgpPrivateKey,
    get keys() {
      return keys;
    },
  };
}
export type SealManager = ReturnType<typeof createSealManager>;

function writeKeyFile(file: string, root: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${root.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}
