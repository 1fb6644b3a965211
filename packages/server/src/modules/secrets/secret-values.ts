import { type FieldType, sensitiveTypes, type TemplateField } from '@coffer/contracts/secrets';
import { AppError, type ErrorDetail } from '../../lib/app-error.ts';

/** Where each value of a secret lives: searchable columns, clear fields, or encrypted values. */
export interface SplitValues {
  username: string;
  host: string;
  url: string;
  clear: Record<string, string>;
  custom: Array<{ name: string; type: FieldType; value: string | null }>;
  sensitive: Record<string, string>;
}

export const COLUMN_SLUGS = ['username', 'host', 'url'] as const;
export const customSlug = (name: string) => `custom:${name}`;

function checkType(type: FieldType, value: string): string | null {
  if (value === '') return null;
  switch (type) {
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value) ? null : 'must be a number';
    case 'url':
      return /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value) || /^[\w.-]+(:\d+)?(\/\S*)?$/.test(value) ? null : 'must be a URL';
    case 'email':
      return /^[^@\s]+@[^@\s]+$/.test(value) ? null : 'must be an email address';
    case 'date':
      return Number.isFinite(Date.parse(value)) ? null : 'must be a date';
    default:
      return null;
  }
}

/**
 * Validates values against the template (unknown slugs, required fields on create, types) and
 * splits them by where they are stored. `base` holds the current values for updates.
 */
export function splitValues(
  fields: TemplateField[],
  input: Record<string, string>,
  custom: Array<{ name: string; type: FieldType; value: string }> | undefined,
  base: SplitValues | null,
  /** Required fields of these types are not checked (their values follow in later writes). */
  later: readonly FieldType[] = [],
): SplitValues {
  const details: ErrorDetail[] = [];
  const out: SplitValues = base
    ? { ...base, clear: { ...base.clear }, sensitive: { ...base.sensitive }, custom: [...base.custom] }
    : { username: '', host: '', url: '', clear: {}, custom: [], sensitive: {} };
  const bySlug = new Map(fields.map((f) => [f.slug, f]));
  for (const [slug, value] of Object.entries(input)) {
    const f = bySlug.get(slug);
    if (!f) {
      details.push({ path: `/fields/${slug}`, message: 'not a field of this template' });
      continue;
    }
    const problem = checkType(f.type, value);
    if (problem) details.push({ path: `/fields/${slug}`, message: problem });
    if (f.sensitive) {
      if (value === '') delete out.sensitive[slug];
      else out.sensitive[slug] = value;
    } else if ((COLUMN_SLUGS as readonly string[]).includes(slug)) {
      out[slug as 'username' | 'host' | 'url'] = value;
    } else if (value === '') delete out.clear[slug];
    else out.clear[slug] = value;
  }
  if (custom) {
    for (const c of out.custom) delete out.sensitive[customSlug(c.name)];
    out.custom = [];
    const names = new Set<string>();
    custom.forEach((c, i) => {
      if (names.has(c.name)) details.push({ path: `/customFields/${i}/name`, message: 'appears twice' });
      names.add(c.name);
      const problem = checkType(c.type, c.value);
      if (problem) details.push({ path: `/customFields/${i}/value`, message: problem });
      if (sensitiveTypes.includes(c.type)) {
        out.custom.push({ name: c.name, type: c.type, value: null });
        if (c.value !== '') out.sensitive[customSlug(c.name)] = c.value;
      } else {
        out.custom.push({ name: c.name, type: c.type, value: c.value });
      }
    });
  }
  for (const f of fields) {
    // on update only the fields being written are checked: a template that gained a required
    // field keeps its existing secrets valid
    if (!f.required || (base !== null && !(f.slug in input)) || later.includes(f.type)) continue;
    const present = f.sensitive
      ? out.sensitive[f.slug] !== undefined
      : (COLUMN_SLUGS as readonly string[]).includes(f.slug)
        ? out[f.slug as 'username' | 'host' | 'url'] !== ''
        : out.clear[f.slug] !== undefined;
    if (!present) details.push({ path: `/fields/${f.slug}`, message: 'required' });
  }
  if (details.length) throw new AppError('validation.failed', 'Some fields are invalid.', { details });
  return out;
}
