import type { FieldType } from '@coffer/contracts/secrets';
import { NAME_FORBIDDEN, TEXT_FORBIDDEN } from '@coffer/contracts/text';

/** One secret to create, whatever file it came from. Values are plaintext until the service seals them. */
export interface ImportEntry {
  /** Position in the source (CSV data row, KeePass entry, Bitwarden item, export record), from 0. */
  index: number;
  name: string;
  /** Folder path under the import target, as names. */
  folder: string[];
  /** Template slug. */
  template: string;
  fields: Record<string, string>;
  customFields: CustomValue[];
  tags: string[];
  description: string;
  color: string;
  expiresAt: number | null;
}

export interface CustomValue {
  name: string;
  type: FieldType;
  value: string;
}

export interface Skip {
  index: number;
  /** Never a value: the kind of problem and field names only. */
  reason: string;
}

export interface ParsedImport {
  entries: ImportEntry[];
  /** Every folder of the source, empty ones too, as paths under the target. */
  folders: string[][];
  skipped: Skip[];
}

export const LIMITS = {
  name: 300,
  folderName: 200,
  value: 65536,
  customFields: 20,
  customName: 100,
  tags: 50,
  tag: 60,
} as const;

/** What names may not hold (contracts/text.ts): control characters, bidi overrides, line separators. */
const CONTROL = new RegExp(`[${NAME_FORBIDDEN}]`, 'gu');
/** The same for multi-line text, which keeps newline and tab. */
const TEXT_CONTROL = new RegExp(`[${TEXT_FORBIDDEN}]`, 'gu');

/** Multi-line display text (a description): CRLF becomes LF, other control characters a space. */
export function cleanText(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').replace(TEXT_CONTROL, ' ');
}

/** At most `max` code points. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return Array.from(s).slice(0, max).join('');
}

/** A folder name the folder tree accepts (no slashes, no control characters), or null when nothing is left. */
export function folderSegment(raw: string): string | null {
  const s = clip(raw.replace(CONTROL, ' ').replace(/[/\\]/g, '-').trim(), LIMITS.folderName).trim();
  return s === '' ? null : s;
}

/** `a/b\c` -> ['a', 'b', 'c'] (slashes and backslashes both nest, as Bitwarden and LastPass write them). */
export function folderPath(raw: string): string[] {
  return raw
    .split(/[/\\]/)
    .map(folderSegment)
    .filter((s): s is string => s !== null);
}

function oneLine(raw: string, max: number): string {
  return clip(raw.replace(CONTROL, ' ').trim(), max).trim();
}

export function cleanTags(raw: string[]): string[] {
  const out = new Set<string>();
  for (const t of raw) {
    const tag = oneLine(t, LIMITS.tag);
    if (tag) out.add(tag);
    if (out.size >= LIMITS.tags) break;
  }
  return [...out];
}

/** `example.com` out of a URL, for an entry that has no name. */
function hostOf(url: string): string {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`).hostname;
  } catch {
    return '';
  }
}

export interface LoginLike {
  index: number;
  name: string;
  folder: string[];
  username: string;
  password: string;
  url: string;
  otp: string;
  notes: string;
  custom: CustomValue[];
  tags: string[];
}

export type Built = ImportEntry | Skip;
export const isSkip = (b: Built): b is Skip => !('template' in b);

/**
 * A login: `web-login` when it has a password (the template requires one); otherwise a
 * `secure-note` carrying the username, URL and TOTP seed in its (encrypted) note, so nothing is lost.
 */
export function loginEntry(v: LoginLike): Built {
  const name = v.name.trim() || hostOf(v.url) || v.username.trim();
  if (v.password !== '') {
    const fields: Record<string, string> = { password: v.password };
    if (v.url.trim()) fields.url = v.url.trim();
    if (v.username) fields.username = v.username;
    if (v.otp.trim()) fields.otp = v.otp.trim();
    if (v.notes) fields.notes = v.notes;
    return finish(v.index, { name, folder: v.folder, template: 'web-login', fields, custom: v.custom, tags: v.tags });
  }
  const lines = [
    v.username ? `Username: ${v.username}` : '',
    v.url.trim() ? `URL: ${v.url.trim()}` : '',
    v.otp.trim() ? `TOTP: ${v.otp.trim()}` : '',
  ].filter(Boolean);
  if (lines.length === 0 && !v.notes && v.custom.length === 0) return { index: v.index, reason: 'empty entry' };
  const notes = [lines.join('\n'), v.notes].filter(Boolean).join('\n\n');
  return noteEntry({ index: v.index, name, folder: v.folder, notes, custom: v.custom, tags: v.tags });
}

/** A secure note; `notes` is required by the template, so an entry with fields only gets a placeholder. */
export function noteEntry(v: {
  index: number;
  name: string;
  folder: string[];
  notes: string;
  custom: CustomValue[];
  tags: string[];
}): Built {
  if (!v.notes && v.custom.length === 0) return { index: v.index, reason: 'empty entry' };
  return finish(v.index, {
    name: v.name,
    folder: v.folder,
    template: 'secure-note',
    fields: { notes: v.notes || '(no text)' },
    custom: v.custom,
    tags: v.tags,
  });
}

/** "Label: value" lines for the parts that are set. */
export function describe(pairs: Array<[string, string]>): string {
  return pairs
    .filter(([, v]) => v.trim() !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/**
 * Shapes a parsed entry into what the secrets store accepts: a name of at most 300 characters,
 * unique custom field names, at most 20 custom fields (the others are appended to the encrypted
 * note), no value above 64 KiB and no NUL character (PostgreSQL text cannot hold one).
 */
export function finish(
  index: number,
  e: {
    name: string;
    folder: string[];
    template: string;
    fields: Record<string, string>;
    custom: CustomValue[];
    tags: string[];
    description?: string;
    color?: string;
    expiresAt?: number | null;
  },
): Built {
  const custom: CustomValue[] = [];
  const seen = new Set<string>();
  const overflow: string[] = [];
  for (const c of e.custom) {
    const base = oneLine(c.name, LIMITS.customName - 6) || 'Field';
    let name = base;
    for (let k = 2; seen.has(name); k++) name = `${base} (${k})`;
    seen.add(name);
    if (custom.length < LIMITS.customFields) custom.push({ name, type: c.type, value: c.value });
    else overflow.push(`${name}: ${c.value}`);
  }
  const fields = { ...e.fields };
  if (overflow.length) fields.notes = [fields.notes ?? '', overflow.join('\n')].filter(Boolean).join('\n\n');
  const description = cleanText(e.description ?? '');
  const strings = [...Object.values(fields), ...custom.map((c) => c.value), description];
  if (strings.some((s) => s.includes('\u0000'))) return { index, reason: 'a value contains a NUL character' };
  if (strings.some((s) => s.length > LIMITS.value)) return { index, reason: `a value is longer than ${LIMITS.value} characters` };
  return {
    index,
    name: oneLine(e.name, LIMITS.name) || '(untitled)',
    folder: e.folder,
    template: e.template,
    fields,
    customFields: custom,
    tags: cleanTags(e.tags),
    description,
    color: e.color ?? '',
    expiresAt: e.expiresAt ?? null,
  };
}

/** Adds a built entry to the result, or its skip reason. */
export function collect(out: ParsedImport, b: Built): void {
  if (isSkip(b)) out.skipped.push(b);
  else out.entries.push(b);
}
