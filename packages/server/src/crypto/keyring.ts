import { createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal, associatedData, type Binding, DecryptError } from './aead.ts';

/**
 * The keyring: versioned data keys ("key terms") protected by the root key.
 *
 * A stored ciphertext is the text `c1.<term>.<base64url(nonce|ct|tag)>`. It records its term, so
 * old terms stay readable after a rotation while every new write uses the active term.
 */
export interface KeyTerm {
  term: number;
  key: Buffer;
}

export interface Keyring {
  readonly activeTerm: number;
  readonly terms: readonly number[];
  encrypt(binding: Binding, plaintext: Buffer | string): string;
  decrypt(binding: Binding, envelope: string): Buffer;
  /** A copy with one more term, which becomes the active one. */
  withTerm(term: KeyTerm, active: boolean): Keyring;
  /**
   * A key for one purpose under one term: HKDF-SHA-256 of the term's data key (empty salt) with
   * `label` as the info, 32 bytes. Derived in memory only (never stored), cached, and wiped with
   * the keyring. Undefined for a term this keyring does not hold. Use a fixed, versioned label per
   * purpose (e.g. `coffer/audit-mac/v1`): keys of different labels are independent.
   */
  derive(term: number, label: string): KeyObject | undefined;
  /** For zeroing at seal time. */
  wipe(): void;
}

const ENVELOPE = /^c1\.([1-9]\d{0,8})\.([A-Za-z0-9_-]+)$/;

export function envelopeTerm(envelope: string): number {
  const m = ENVELOPE.exec(envelope);
  if (!m) throw new DecryptError();
  return Number(m[1]);
}

export function createKeyring(terms: KeyTerm[], activeTerm: number): Keyring {
  const byTerm = new Map(terms.map((t) => [t.term, Buffer.from(t.key)]));
  if (!byTerm.has(activeTerm)) throw new Error(`active key term ${activeTerm} is not in the keyring`);
  // imported once: building a key from raw bytes on every operation costs more than the AES itself
  let objects: Map<number, KeyObject> | null = new Map([...byTerm.entries()].map(([term, key]) => [term, createSecretKey(key)]));
  const derived = new Map<string, { raw: Buffer; key: KeyObject }>();
  return {
    activeTerm,
    terms: [...byTerm.keys()].sort((a, b) => a - b),
    encrypt(binding, plaintext) {
      if (!objects) throw new DecryptError();
      const key = objects.get(activeTerm) as KeyObject;
      const pt = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
      const sealed = aeadSeal(key, pt, associatedData(binding, activeTerm));
      return `c1.${activeTerm}.${sealed.toString('base64url')}`;
    },
    decrypt(binding, envelope) {
      const m = ENVELOPE.exec(envelope);
      if (!m) throw new DecryptError();
      const term = Number(m[1]);
      const key = objects?.get(term);
      if (!key) throw new DecryptError();
      const body = Buffer.from(m[2] as string, 'base64url');
      // one spelling per ciphertext: reject non-canonical base64url
      if (body.toString('base64url') !== m[2]) throw new DecryptError();
      return aeadOpen(key, body, associatedData(binding, term));
    },
    withTerm(t, active) {
      if (byTerm.has(t.term)) throw new Error(`key term ${t.term} already exists`);
      const all: KeyTerm[] = [...byTerm.entries()].map(([term, key]) => ({ term, key }));
      all.push(t);
      return createKeyring(all, active ? t.term : activeTerm);
    },
    derive(term, label) {
      const id = `${term}\n${label}`;
      const hit = derived.get(id);
      if (hit) return hit.key;
      const dataKey = objects ? byTerm.get(term) : undefined;
      if (!dataKey) return undefined;
      const raw = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), Buffer.from(label, 'utf8'), 32));
      const key = createSecretKey(raw);
      derived.set(id, { raw, key });
      return key;
    },
    wipe() {
      for (const k of byTerm.values()) k.fill(0);
      for (const d of derived.values()) d.raw.fill(0);
      derived.clear();
      objects = null; // KeyObjects cannot be zeroed; dropping them leaves them to the collector
    },
  };
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

/** Binding of a key term wrapped by the root key. */
export function termBinding(term: number): Binding {
  return { type: 'keyring', id: String(term), field: 'data_key' };
}

/** Wraps a data key under the root key (term 0 in the associated data: the root is not a term). */
export function wrapDataKey(rootKey: Buffer, term: number, dataKey: Buffer): string {
  return aeadSeal(rootKey, dataKey, associatedData(termBinding(term), 0)).toString('base64url');
}

export function unwrapDataKey(rootKey: Buffer, term: number, wrapped: string): Buffer {
  return aeadOpen(rootKey, Buffer.from(wrapped, 'base64url'), associatedData(termBinding(term), 0));
}
