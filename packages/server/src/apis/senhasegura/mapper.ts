// Coffer secrets -> senhasegura's field names, ids (strings of integers) and date formats.
import type { Secret } from '@coffer/contracts/secrets';
import type { Static } from 'typebox';
import type { RotationState } from '../../modules/rotation/state.ts';

export type SecretWire = Static<typeof Secret>;

/** The custom field that keeps senhasegura's credential type on a secret. */
export const TYPE_FIELD = 'senhasegura type';
/** senhasegura's three credential types and their codes; anything else is a free type (code ""). */
export const CREDENTIAL_TYPES: Record<string, string> = { 'local user': '1', 'local administrator': '2', 'domain user': '3' };
const CANONICAL_TYPES: Record<string, string> = {
  'local user': 'Local User',
  'local administrator': 'Local administrator',
  'domain user': 'Domain user',
};

/** A known credential type in its canonical spelling ("local user" -> "Local User"), else as given. */
export function canonicalType(t: string): string {
  return CANONICAL_TYPES[t.trim().toLowerCase()] ?? t.trim();
}

/** ISO -> "2020-11-17 16:14:35" (UTC), as senhasegura's `change` and `expiration`. */
export function spaced(iso: string | null | undefined): string | null {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : null;
}

/** ISO -> "2021-01-16T17:31:39" (UTC, no zone), as senhasegura's `expiration_time`. */
export function tee(iso: string | null | undefined): string | null {
  return iso ? iso.slice(0, 19) : null;
}

/** "2021-01-16T17:31:39", "2021-01-16 17:31:39", "2021-01-16" (read as UTC) -> ISO; "" -> null. */
export function parseExpiration(v: string): string | null | 'invalid' {
  const s = v.trim();
  if (!s || s === 'null') return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return 'invalid';
  const t = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`);
  return Number.isFinite(t) ? new Date(t).toISOString() : 'invalid';
}

function custom(s: SecretWire, name: string): string | undefined {
  const c = s.customFields.find((f) => f.name.toLowerCase() === name);
  return c?.value ?? undefined;
}

/** The credential type of any secret: the kept senhasegura type, else from the template. */
export function typeOf(s: SecretWire): string {
  const kept = custom(s, TYPE_FIELD);
  if (kept) return kept;
  if (s.template === 'ssh-key') return 'SSH Key';
  if (s.fields.domain) return 'Domain user';
  return 'Local User';
}

export function identifierOf(s: SecretWire): string {
  return s.fields.identifier || s.name;
}

const f = (s: SecretWire, slug: string) => s.fields[slug] ?? '';

/**
 * One item of GET /iso/pam/credential (no value: a list is not a reveal). `automatic_change`: "1"
 * when the credential has a rotation target with a schedule (modules/rotation), else "0".
 */
export function listItem(s: SecretWire, id: number, rotation?: RotationState) {
  const type = typeOf(s);
  return {
    id: String(id),
    identifier: identifierOf(s),
    username: s.username,
    expiration: spaced(s.expiresAt),
    change: spaced(s.updatedAt),
    view: null,
    hostname: s.host,
    management_ip: f(s, 'ip'),
    type,
    type_code: CREDENTIAL_TYPES[type.toLowerCase()] ?? '',
    device_model: f(s, 'device-model'),
    device_type: f(s, 'device-type'),
    device_vendor: f(s, 'device-vendor'),
    automatic_change: rotation?.autoChange ? '1' : '0',
    connectivity: '',
    connectivity_code: '',
  };
}

/** The password of a revealed secret, whatever its template calls it. */
export function passwordOf(values: Record<string, string>): string | null {
  return values.password ?? values.secret ?? values['private-key'] ?? null;
}

/** GET /iso/pam/credential/{id}: the seed's fields, with the revealed values. */
export function credential(s: SecretWire, id: number, values: Record<string, string>) {
  const password = passwordOf(values);
  const parent = f(s, 'parent-credential');
  return {
    id: String(id),
    identifier: identifierOf(s),
    tag: identifierOf(s),
    username: s.username,
    password,
    content: password,
    hostname: s.host,
    parent_credential_cod: parent || null,
    parent_credential: null,
    additional: values['additional-info'] ?? values.notes ?? '',
    domain: f(s, 'domain'),
    ip: f(s, 'ip'),
    port: f(s, 'port'),
    model: f(s, 'device-model'),
    type: typeOf(s),
    tags: s.tags,
    expiration_time: tee(s.expiresAt),
  };
}

/** Whether a revealed secret is an SSH key (senhasegura's `1016: The item is not a ssh key`). */
export function isKey(values: Record<string, string>): boolean {
  return typeof values['private-key'] === 'string' && values['private-key'].length > 0;
}

/** GET /iso/pam/key/{id}. */
export function key(s: SecretWire, id: number, values: Record<string, string>) {
  return {
    id: String(id),
    username: s.username,
    key_name: identifierOf(s),
    hostname: s.host,
    ip: f(s, 'ip'),
    private_key: values['private-key'] ?? null,
    public_key: s.fields['public-key'] ?? null,
    password: values.passphrase ?? null,
    tags: s.tags,
    devices: s.host ? [{ hostname: s.host, ip: f(s, 'ip') }] : [],
    expiration_time: tee(s.expiresAt),
  };
}

/** A protected information item: a `secure-note` secret (the content is its note) carrying this tag. */
export const INFO_TEMPLATE = 'secure-note';
export const INFO_TAG = 'senhasegura-info';
export const INFO_KIND = { template: INFO_TEMPLATE, tag: INFO_TAG };

/** Whether a secret is a protected information item (listed under /info, not under /credential). */
export function isInfo(s: SecretWire): boolean {
  return s.template === INFO_TEMPLATE && s.tags.includes(INFO_TAG);
}
