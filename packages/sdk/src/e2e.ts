// The client side of end-to-end encrypted vaults (ADR 0022): an OpenPGP key pair for the user
// (the private key never leaves the caller), values encrypted for every reader and signed on write,
// decrypted and checked against the writer's key on read, re-encrypted on share. The plaintext of a
// message is the JSON object of the secret's sensitive fields (`{"password": "…", "notes": "…"}`).
import * as openpgp from 'openpgp';
import type { CofferClient } from './client.ts';
import type { CreateSecret, Grant, Level, Reader, Secret, SecretMessage, UpdateSecret } from './types.ts';

/** A new key pair for `email` (Ed25519 signing, Curve25519 encryption); the private key locked by `passphrase`. */
export async function generateKeyPair(opts: { name?: string; email: string; passphrase: string }) {
  const k = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: opts.name ?? opts.email, email: opts.email }],
    passphrase: opts.passphrase,
    format: 'armored',
  });
  return { armoredPrivate: k.privateKey, armoredPublic: k.publicKey };
}

/** The private key of `armored`, unlocked with `passphrase`; its public half armored. */
export async function unlockKey(armored: string, passphrase: string) {
  const key = await openpgp.readPrivateKey({ armoredKey: armored });
  const privateKey = key.isDecrypted() ? key : await openpgp.decryptKey({ privateKey: key, passphrase });
  return { privateKey, armoredPublic: privateKey.toPublic().armor(), fingerprint: privateKey.getFingerprint() };
}

export class E2eError extends Error {
  override name = 'E2eError';
}

/** Encrypts `values` (the fields, or a plaintext as decrypted) for each of `keys` (one message per reader), signed with `signer`. */
async function encryptFor(
  values: Record<string, string> | string,
  readers: Array<{ userId: string; armoredKey: string }>,
  signer: openpgp.PrivateKey,
) {
  const out: SecretMessage[] = [];
  const text = typeof values === 'string' ? values : JSON.stringify(values);
  for (const r of readers) {
    const message = (await openpgp.encrypt({
      message: await openpgp.createMessage({ text }),
      encryptionKeys: await openpgp.readKey({ armoredKey: r.armoredKey }),
      signingKeys: signer,
    })) as string;
    out.push({ userId: r.userId, message });
  }
  return out;
}

/**
 * Decrypts a message with `privateKey` and checks it is signed by `writerKey` (a message signed by
 * anyone else, or not signed, is refused: a reader can encrypt but not speak for the writer).
 */
export async function decryptMessage(
  armored: string,
  privateKey: openpgp.PrivateKey,
  writerKey: string | null,
): Promise<Record<string, string>> {
  return fieldsOfPlaintext(await decryptPlaintext(armored, privateKey, writerKey));
}

/** The plaintext of a message as written (`decryptMessage` reads its fields), with the same checks. */
export async function decryptPlaintext(armored: string, privateKey: openpgp.PrivateKey, writerKey: string | null): Promise<string> {
  if (!writerKey) throw new E2eError('The writer of this value has no registered key: its signature cannot be checked.');
  let data: string;
  try {
    const r = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: armored }),
      decryptionKeys: privateKey,
      verificationKeys: await openpgp.readKey({ armoredKey: writerKey }),
      expectSigned: true,
    });
    data = r.data as string;
  } catch (e) {
    throw new E2eError(`The value could not be decrypted or its writer's signature did not verify: ${e instanceof Error ? e.message : e}`);
  }
  return data;
}

/**
 * The fields of a decrypted value. Coffer writes the JSON object of the sensitive fields; Passbolt's
 * clients write either the bare password ("password-string" resources) or a JSON object whose
 * `description` is what Coffer calls `notes` (ADR 0025): a plaintext that is no JSON object is the
 * password, and `description` reads as `notes`.
 */
export function fieldsOfPlaintext(data: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { password: data };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { password: data };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v === 'string') out[k === 'description' && !('notes' in (parsed as object)) ? 'notes' : k] = v;
    else if (v !== null && v !== undefined) out[k] = JSON.stringify(v);
  }
  return out;
}

function keyed(items: Reader[]): Array<{ userId: string; armoredKey: string }> {
  const missing = items.filter((r) => !r.key).map((r) => r.username || r.userId);
  if (missing.length)
    throw new E2eError(`These readers have registered no OpenPGP key, nobody can encrypt for them: ${missing.join(', ')}`);
  return items.map((r) => ({ userId: r.userId, armoredKey: (r.key as { armoredKey: string }).armoredKey }));
}

/**
 * E2E operations of one user over a client: `privateKey` is theirs, unlocked (`unlockKey`).
 *
 * ```ts
 * const { privateKey } = await unlockKey(armoredPrivate, passphrase);
 * const e2e = createE2e(coffer, privateKey);
 * const s = await e2e.create({ vaultId, template: 'web-login', name: 'db', fields: { username: 'root' } }, { password: 'p' });
 * const { values } = await e2e.reveal(s.id);
 * ```
 */
export function createE2e(client: CofferClient, privateKey: openpgp.PrivateKey) {
  const api = client.openpgp;

  /** Creates a secret in an E2E vault: the clear fields as usual, `values` encrypted for every reader. */
  async function create(input: Omit<CreateSecret, 'messages'>, values: Record<string, string>): Promise<Secret> {
    const readers = await api.nodeReaders(input.vaultId, input.folderId ?? undefined);
    return client.secrets.create({ ...input, messages: await encryptFor(values, keyed(readers.items), privateKey) });
  }

  /** Changes an E2E secret: its clear metadata, and with `values` a new value for every reader. */
  async function update(id: string, patch: Omit<UpdateSecret, 'messages'>, values?: Record<string, string>): Promise<Secret> {
    if (!values) return client.secrets.update(id, patch);
    const readers = await api.readers(id);
    // the new value is the JSON object of the fields, whatever format the old one had
    return client.secrets.update(id, { ...patch, messages: await encryptFor(values, keyed(readers.items), privateKey), valueFormat: null });
  }

  /** Reveals an E2E secret: your own message, decrypted and checked against its writer's key. */
  async function reveal(id: string, opts: { reason?: string } = {}) {
    const r = await client.secrets.reveal(id, opts);
    if (r.e2eScheme === 'master-password') {
      throw new E2eError('This secret is encrypted by a Passwork client with its master password: only that client can open it.');
    }
    if (!r.e2e) throw new E2eError('This secret is not end-to-end encrypted: use secrets.reveal.');
    const plaintext = await decryptPlaintext(r.e2e.message, privateKey, r.e2e.writerKey);
    return { values: fieldsOfPlaintext(plaintext), plaintext, rotationRequired: r.e2e.rotationRequired, version: r.version };
  }

  /** Shares with a user (found by exact username): the value re-encrypted for them (and any reader still without one). */
  async function share(id: string, username: string, level: Level = 'reveal', opts: { reason?: string } = {}): Promise<Grant> {
    // the plaintext as written (its format stays: a Passbolt client may read it)
    const { plaintext: values } = await reveal(id, opts);
    const key = await api.keyOf(username);
    const readers = await api.readers(id);
    const lacking = keyed(readers.items.filter((r) => !r.hasMessage || r.stale));
    const to = [...lacking.filter((r) => r.userId !== key.userId), { userId: key.userId as string, armoredKey: key.armoredKey }];
    const reads = level === 'reveal' || level === 'edit' || level === 'manage';
    const messages = await encryptFor(values, reads ? to : lacking, privateKey);
    return client.secrets.share(id, { userId: key.userId as string, level, messages });
  }

  /** Re-encrypts the current value for the readers without a message or with a new key. */
  async function reencrypt(id: string, opts: { reason?: string } = {}) {
    const readers = await api.readers(id);
    const lacking = keyed(readers.items.filter((r) => !r.hasMessage || r.stale));
    if (!lacking.length) return readers;
    const { plaintext: values } = await reveal(id, opts);
    return api.putMessages(id, await encryptFor(values, lacking, privateKey));
  }

  return { create, update, reveal, share, reencrypt };
}
export type E2eClient = ReturnType<typeof createE2e>;
