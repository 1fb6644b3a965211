// A Passwork password body -> what the secrets service takes. Without client-side encryption the
// values arrive base64-encoded: decoded here and stored as the secret's values (`web-login`:
// url, username, password; custom fields as custom fields, or as the template's own field when a
// custom field is named after one, as this API shows them). With client-side encryption the
// values are stored as sent, opaque (`client-encrypted`). Text rules of the native API apply
// (contracts/text.ts): hostile characters in names, tags or descriptions are refused.
import type { FieldType } from '@coffer/contracts/secrets';
import { isCleanName, isCleanText } from '@coffer/contracts/text';
import { AppError } from '../../lib/app-error.ts';
import { fieldsOf, invalid, objects, str, strings, text } from './body.ts';
import { decodeFile, hashMatches, unb64 } from './codec.ts';
import {
  cofferType,
  colorName,
  ENCRYPTED_TEMPLATE,
  type EncryptedPayload,
  PAYLOAD_FIELD,
  passwordSlug as passwordSlugOf,
} from './mapper.ts';

/** The built-in template of passwords created here in clear mode. */
export const CLEAR_TEMPLATE = 'web-login';
/** The fields of a template as this API writes them: which slug holds "the password", and the
 * others a custom field of the same name stands for. */
export interface TemplateShape {
  passwordSlug: string | undefined;
  otherSlugs: ReadonlySet<string>;
}

/** `web-login`: url, username, password, and otp / notes as custom fields of those names. */
export const CLEAR_SHAPE: TemplateShape = { passwordSlug: 'password', otherSlugs: new Set(['otp', 'notes']) };

/** A template's shape from its field slugs. */
export function shapeOf(slugs: readonly string[]): TemplateShape {
  const passwordSlug = passwordSlugOf(slugs);
  return { passwordSlug, otherSlugs: new Set(slugs.filter((s) => s !== 'username' && s !== 'url' && s !== passwordSlug)) };
}

export interface FileUpload {
  name: string;
  bytes: Buffer;
}

export interface PasswordInput {
  name?: string;
  description?: string;
  tags?: string[];
  color?: string;
  vaultId?: string;
  folderId?: string | null;
  fields: Record<string, string>;
  customFields?: Array<{ name: string; type: FieldType; value: string }>;
  attachments: FileUpload[];
  /** What was sent as the password (to echo it back, never read again). */
  cryptedPassword?: string;
}

function cleanName(v: string | undefined, path: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t.length > max || !isCleanName(t)) throw invalid(path, `a single line of at most ${max} characters without control characters`);
  return t;
}

/** A name for an item sent without one: Passwork allows none, Coffer names every item. */
export function derivedName(login: string, url: string): string {
  let host = '';
  try {
    host = url ? new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`).hostname : '';
  } catch {
    host = '';
  }
  const name = login && host ? `${login}@${host}` : login || host || 'Password';
  return isCleanName(name) && name.length <= 300 ? name : 'Password';
}

/** Attachments of a clear-mode body: decoded, size-checked and hash-checked before anything is stored. */
export function clearAttachments(b: Record<string, unknown>, maxBytes: number): FileUpload[] {
  const list = objects(b, 'attachments', 20) ?? [];
  return list.map((a, i) => {
    const name = cleanName(str(a, 'name', 255), `/attachments/${i}/name`, 255);
    const data = str(a, 'encryptedData', Math.ceil(maxBytes * 1.9) + 64);
    if (!name) throw invalid(`/attachments/${i}/name`, 'required');
    if (data === undefined) throw invalid(`/attachments/${i}/encryptedData`, 'required');
    const bytes = decodeFile(data, `/attachments/${i}/encryptedData`);
    if (bytes.length > maxBytes) throw new AppError('request.body_too_large', `An attachment may hold at most ${maxBytes} bytes.`);
    const hash = str(a, 'hash', 200);
    if (hash && !hashMatches(bytes, hash)) {
      throw new AppError('validation.failed', `The hash of attachment "${name}" does not match its content.`, {
        reason: 'attachment_hash',
      });
    }
    return { name, bytes };
  });
}

/** Attachments of a client-encrypted body: kept whole ({encryptedKey, encryptedData, hash}), opaque. */
export function encryptedAttachments(b: Record<string, unknown>, maxBytes: number): FileUpload[] {
  const list = objects(b, 'attachments', 20) ?? [];
  return list.map((a, i) => {
    const name = cleanName(str(a, 'name', 255), `/attachments/${i}/name`, 255);
    if (!name) throw invalid(`/attachments/${i}/name`, 'required');
    const encryptedKey = str(a, 'encryptedKey', 10_000) ?? '';
    const encryptedData = str(a, 'encryptedData', Math.ceil(maxBytes * 1.9) + 64) ?? '';
    const hash = str(a, 'hash', 200) ?? '';
    const bytes = Buffer.from(JSON.stringify({ encryptedKey, encryptedData, hash }), 'utf8');
    if (bytes.length > maxBytes) throw new AppError('request.body_too_large', `An attachment may hold at most ${maxBytes} bytes.`);
    return { name, bytes };
  });
}

/** The parts every body shares (name, description, tags, colour, place). */
function common(b: Record<string, unknown>): Omit<PasswordInput, 'fields' | 'attachments'> {
  const out: Omit<PasswordInput, 'fields' | 'attachments'> = {};
  const name = cleanName(str(b, 'name', 300), '/name', 300);
  if (name) out.name = name;
  const description = str(b, 'description', 4000);
  if (description !== undefined) {
    if (!isCleanText(description)) throw invalid('/description', 'holds characters that are not allowed');
    out.description = description;
  }
  const tags = strings(b, 'tags', { max: 50, each: 60 });
  if (tags) out.tags = [...new Set(tags.map((t, i) => cleanName(t, `/tags/${i}`, 60) as string).filter(Boolean))];
  if (b.color !== undefined) {
    const color = colorName(b.color);
    if (color === undefined) throw invalid('/color', 'not a colour');
    out.color = color;
  }
  const vaultId = str(b, 'vaultId', 200);
  if (vaultId) out.vaultId = vaultId;
  const folderId = text(b, 'folderId', 200, { nullable: true });
  if (folderId !== undefined) out.folderId = folderId || null;
  return out;
}

/** A clear-mode body (`update`: only what is present counts). */
export function clearPassword(body: unknown, maxBytes: number, opts: { update: boolean; shape?: TemplateShape }): PasswordInput {
  const shape = opts.shape ?? CLEAR_SHAPE;
  const b = fieldsOf(body);
  const out: PasswordInput = { ...common(b), fields: {}, attachments: clearAttachments(b, maxBytes) };
  const login = str(b, 'login', 65536);
  const url = str(b, 'url', 65536);
  if (login !== undefined) out.fields.username = login;
  if (url !== undefined) out.fields.url = url.trim();
  const crypted = str(b, 'cryptedPassword', 200_000);
  const plain = str(b, 'password', 65536);
  const main = shape.passwordSlug;
  if ((crypted !== undefined || plain !== undefined) && !main) throw invalid('/cryptedPassword', 'this item has no password field');
  if (crypted !== undefined) {
    out.fields[main as string] = unb64(crypted, '/cryptedPassword');
    out.cryptedPassword = crypted;
  } else if (plain !== undefined) {
    out.fields[main as string] = plain;
  }
  const custom = objects(b, 'custom', 40);
  if (custom) {
    const customs: NonNullable<PasswordInput['customFields']> = [];
    custom.forEach((x, i) => {
      const name = unb64(str(x, 'name', 1000) ?? '', `/custom/${i}/name`).trim();
      const type = unb64(str(x, 'type', 200) ?? '', `/custom/${i}/type`);
      const value = unb64(str(x, 'value', 100_000) ?? '', `/custom/${i}/value`);
      // what a client drops on reading (no name), and what names a field of the template
      if (!name) return;
      if (shape.otherSlugs.has(name)) {
        out.fields[name] = value;
        return;
      }
      if (name.length > 100 || !isCleanName(name)) throw invalid(`/custom/${i}/name`, 'a single line of at most 100 characters');
      if (value.length > 65536) throw invalid(`/custom/${i}/value`, 'at most 65536 characters');
      customs.push({ name, type: cofferType(type), value });
    });
    if (customs.length > 20) throw invalid('/custom', 'at most 20 custom fields');
    out.customFields = customs;
  }
  if (!opts.update) {
    if (!out.name) out.name = derivedName(out.fields.username ?? '', out.fields.url ?? '');
    if (!out.fields.password) throw invalid('/cryptedPassword', 'required: a password');
    if (out.fields.url === '') delete out.fields.url;
    if (out.fields.username === '') delete out.fields.username;
  }
  return out;
}

/** A client-encrypted body: the encrypted parts kept as one opaque value. */
export function encryptedPassword(body: unknown, maxBytes: number, opts: { update: boolean; current?: EncryptedPayload }): PasswordInput {
  const b = fieldsOf(body);
  const out: PasswordInput = { ...common(b), fields: {}, attachments: encryptedAttachments(b, maxBytes) };
  const login = str(b, 'login', 65536);
  const url = str(b, 'url', 65536);
  if (login !== undefined) out.fields.username = login;
  if (url !== undefined) out.fields.url = url.trim();
  const crypted = str(b, 'cryptedPassword', 200_000);
  const key = str(b, 'cryptedKey', 10_000);
  const custom = objects(b, 'custom', 40);
  if (crypted !== undefined || key !== undefined || custom !== undefined || !opts.update) {
    const payload: EncryptedPayload = {
      cryptedPassword: crypted ?? opts.current?.cryptedPassword ?? '',
      cryptedKey: key ?? opts.current?.cryptedKey ?? '',
      custom:
        custom === undefined
          ? (opts.current?.custom ?? null)
          : custom.map((x) => ({
              name: str(x, 'name', 10_000) ?? '',
              value: str(x, 'value', 200_000) ?? '',
              type: str(x, 'type', 10_000) ?? '',
            })),
    };
    if (!payload.cryptedPassword) throw invalid('/cryptedPassword', 'required');
    out.fields[PAYLOAD_FIELD] = JSON.stringify(payload);
    if (crypted !== undefined) out.cryptedPassword = crypted;
  }
  if (!opts.update) {
    if (!out.name) out.name = derivedName(out.fields.username ?? '', out.fields.url ?? '');
    if (out.fields.url === '') delete out.fields.url;
    if (out.fields.username === '') delete out.fields.username;
  }
  return out;
}

export { ENCRYPTED_TEMPLATE };
