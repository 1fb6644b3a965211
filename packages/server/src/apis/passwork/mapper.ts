// Coffer objects -> Passwork's field names and types: a secret is a password, a vault a vault, a
// folder a folder. Ids are Coffer's own (strings, as Passwork's ids are). Values are base64 of
// their UTF-8 (no client-side encryption); a client-encrypted item (template `client-encrypted`)
// carries what its client stored, as it was sent.

import type { Secret } from '@coffer/contracts/secrets';
import type { Static } from 'typebox';
import { CLIENT_ENCRYPTED_TEMPLATE, type ClientPayload, PAYLOAD_FIELD } from '../../modules/e2e/master-password.ts';
import { b64, PLAIN_ATTACHMENT_KEY } from './codec.ts';

export type SecretWire = Static<typeof Secret>;

/** Passwork's colour numbers (1-9) and the Coffer colour names they are stored as. */
export const COLORS = ['', 'red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'grey'] as const;

/** A Coffer colour -> Passwork's number (0: none; a stored number is kept). */
export function colorNumber(color: string): number {
  if (!color) return 0;
  const i = COLORS.indexOf(color as (typeof COLORS)[number]);
  if (i > 0) return i;
  return /^\d{1,3}$/.test(color) ? Number(color) : 0;
}

/** Passwork's colour (a number, or a number as a string, or a name) -> the Coffer colour. */
export function colorName(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return v === undefined ? undefined : '';
  const s = String(v).trim().toLowerCase();
  if (/^\d{1,3}$/.test(s)) return COLORS[Number(s)] ?? (Number(s) === 0 ? '' : s);
  return (COLORS as readonly string[]).includes(s) ? s : undefined;
}

/** Coffer's access level -> Passwork's access name and code. */
export function access(level: string | null): { access: string; accessCode: number } {
  if (level === 'manage') return { access: 'admin', accessCode: 3 };
  if (level === 'edit') return { access: 'write', accessCode: 2 };
  return { access: 'read', accessCode: 1 };
}

/** The slugs that hold "the password" of a secret, by preference. */
const PASSWORD_SLUGS = ['password', 'secret', 'passphrase'];

export function passwordSlug(sensitive: readonly string[]): string | undefined {
  return PASSWORD_SLUGS.find((s) => sensitive.includes(s));
}

/** The template of items stored opaquely for a client that encrypts on its side, the field holding
 * what the client sent (JSON), and its shape: the master-password scheme of E2E vaults (ADR 0026). */
export const ENCRYPTED_TEMPLATE = CLIENT_ENCRYPTED_TEMPLATE;
export type EncryptedPayload = ClientPayload;
export { PAYLOAD_FIELD };

export function readPayload(values: Record<string, string>): EncryptedPayload {
  try {
    const p = JSON.parse(values[PAYLOAD_FIELD] ?? '{}') as Partial<EncryptedPayload>;
    return {
      cryptedPassword: typeof p.cryptedPassword === 'string' ? p.cryptedPassword : '',
      cryptedKey: typeof p.cryptedKey === 'string' ? p.cryptedKey : '',
      custom: Array.isArray(p.custom) ? p.custom : null,
    };
  } catch {
    return { cryptedPassword: '', cryptedKey: '', custom: null };
  }
}

export interface PathItem {
  order: number;
  name: string;
  type: 'vault' | 'folder';
  id: string;
}

/** Breadcrumbs, vault first. */
export function pathOf(ancestors: ReadonlyArray<{ id: string; type: 'vault' | 'folder'; name: string }>): PathItem[] {
  return ancestors.map((a, order) => ({ order, name: a.name, type: a.type, id: a.id }));
}

/** A custom field as Passwork shows it: name, type and value, each base64 (clear mode). */
export interface PwCustom {
  name: string;
  value: string;
  type: string;
}

function passworkType(t: string): string {
  if (t === 'otp') return 'totp';
  if (t === 'password' || t === 'notes' || t === 'ssh_private_key' || t === 'file') return 'password';
  return 'text';
}

/** Passwork's custom type -> Coffer's field type. */
export function cofferType(t: string): 'text' | 'password' | 'otp' | 'url' | 'email' {
  const s = t.trim().toLowerCase();
  if (s === 'password') return 'password';
  if (s === 'totp' || s === 'otp') return 'otp';
  if (s === 'url' || s === 'link') return 'url';
  if (s === 'email') return 'email';
  return 'text';
}

/**
 * The custom fields Passwork shows for a secret: its other clear fields (by slug), its other
 * sensitive values (by slug; needs `values`), then its own custom fields. Clear, not encoded.
 */
export function customsOf(s: SecretWire, values: Record<string, string> | null): Array<{ name: string; type: string; value: string }> {
  const out: Array<{ name: string; type: string; value: string }> = [];
  for (const [slug, value] of Object.entries(s.fields)) {
    if (slug === 'username' || slug === 'url' || value === '') continue;
    out.push({ name: slug, type: 'text', value });
  }
  if (values) {
    const main = passwordSlug(Object.keys(values));
    for (const [slug, value] of Object.entries(values)) {
      if (slug === main || slug.startsWith('custom:') || value === '') continue;
      out.push({ name: slug, type: slug === 'otp' ? 'totp' : 'password', value });
    }
  }
  for (const c of s.customFields) {
    const value = c.value ?? values?.[`custom:${c.name}`] ?? null;
    if (value === null || value === '') continue;
    out.push({ name: c.name, type: passworkType(c.type), value });
  }
  return out;
}

export interface AttachmentRef {
  id: string;
  name: string;
}

/** The fields every password answer has, list or full. */
function base(s: SecretWire, extra: { favorite: boolean; path: PathItem[] }) {
  return {
    id: s.id,
    vaultId: s.vaultId,
    folderId: s.folderId,
    name: s.name,
    login: s.fields.username ?? '',
    url: s.fields.url ?? '',
    description: s.description,
    color: colorNumber(s.color),
    tags: s.tags,
    path: extra.path,
    ...access(s.myLevel),
    shortcut: null,
    isFavorite: extra.favorite,
    lastPasswordUpdate: Math.floor(Date.parse(s.updatedAt) / 1000),
    updatedAt: s.updatedAt,
    createdAt: s.createdAt,
  };
}

/** A password in a list (search, folder, recent, favourites): no value, no custom fields. */
export function listPassword(s: SecretWire, extra: { favorite: boolean; path: PathItem[] }) {
  return { ...base(s, extra), cryptedPassword: '', cryptedKey: '', custom: null, attachments: null };
}

/**
 * A whole password: its value and custom fields base64-encoded (clear mode), or as its client
 * stored them (a client-encrypted item), and its attachments (id and name).
 */
export function fullPassword(
  s: SecretWire,
  values: Record<string, string>,
  extra: { favorite: boolean; path: PathItem[]; attachments: AttachmentRef[] },
) {
  const attachments = extra.attachments.map((a) => ({ id: a.id, name: a.name, encryptedKey: PLAIN_ATTACHMENT_KEY }));
  if (s.template === ENCRYPTED_TEMPLATE) {
    const p = readPayload(values);
    return {
      ...base(s, extra),
      cryptedPassword: p.cryptedPassword,
      cryptedKey: p.cryptedKey,
      custom: p.custom?.length ? p.custom : null,
      attachments: extra.attachments.map((a) => ({ id: a.id, name: a.name })),
    };
  }
  const main = passwordSlug(Object.keys(values));
  const customs = customsOf(s, values).map((c) => ({ name: b64(c.name), value: b64(c.value), type: b64(c.type) }));
  return {
    ...base(s, extra),
    cryptedPassword: b64(main ? (values[main] ?? '') : ''),
    cryptedKey: '',
    custom: customs.length ? customs : null,
    attachments: attachments.length ? attachments : null,
  };
}

/** A vault as Passwork shows it; `keys`: what a client-encrypting client stored with it. */
export function vaultObject(
  v: { id: string; name: string; myLevel: string | null; createdAt?: string },
  keys?: { passwordCrypted: string; salt: string; passwordHash: string; scope: string } | null,
) {
  return {
    id: v.id,
    name: v.name,
    ...access(v.myLevel),
    scope: keys?.scope ?? 'domain',
    visible: true,
    vaultPasswordCrypted: keys?.passwordCrypted ?? '',
    passwordCrypted: keys?.passwordCrypted ?? '',
    salt: keys?.salt ?? '',
    passwordHash: keys?.passwordHash ?? '',
    domainMaster: '',
  };
}

/** A folder as Passwork shows it. */
export function folderObject(
  f: { id: string; vaultId: string; parentId: string | null; name: string },
  extra: { path: PathItem[]; foldersAmount?: number; passwordsAmount?: number },
) {
  return {
    id: f.id,
    vaultId: f.vaultId,
    parentId: f.parentId,
    name: f.name,
    path: extra.path,
    foldersAmount: extra.foldersAmount ?? 0,
    passwordsAmount: extra.passwordsAmount ?? 0,
    shortcutsAmount: 0,
  };
}

/** Name order as Passwork lists things: case-insensitive, then as written, then by id. */
export function byName<T extends { name: string; id: string }>(a: T, b: T): number {
  const x = a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true });
  if (x !== 0) return x;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
