import type { TemplateField } from '@coffer/contracts/secrets';
import { isAppError } from '../../lib/app-error.ts';
import { type SplitValues, splitValues } from '../secrets/secret-values.ts';
import type { CustomValue, ImportEntry } from './entries.ts';

export interface ImportTemplate {
  id: string;
  slug: string;
  fields: TemplateField[];
}

/** An entry that cannot be imported; the message names fields and problems, never values. */
export class SkipEntry extends Error {}

/** Validates the entry's values against its template, as a create would (or, given the current
 * values of an existing secret, as an update would). A value the template refuses (an unknown
 * field, a URL that is not one) is kept as a custom field rather than lost. */
export function importValues(t: ImportTemplate, e: ImportEntry, base: SplitValues | null = null): SplitValues {
  try {
    return splitValues(t.fields, e.fields, e.customFields, base);
  } catch (err) {
    if (!isAppError(err) || err.code !== 'validation.failed') throw err;
    const details = err.details ?? [];
    const movable = details.filter((d) => /^\/fields\/[^/]+$/.test(d.path) && d.message !== 'required');
    if (movable.length === 0 || movable.length !== details.length) throw new SkipEntry(problems(details));
    const fields = { ...e.fields };
    const custom: CustomValue[] = [...e.customFields];
    const names = new Set(custom.map((c) => c.name));
    for (const d of movable) {
      const slug = d.path.slice('/fields/'.length);
      const f = t.fields.find((x) => x.slug === slug);
      let name = f?.name ?? slug;
      for (let k = 2; names.has(name); k++) name = `${f?.name ?? slug} (${k})`;
      names.add(name);
      custom.push({ name, type: f && !f.sensitive ? 'text' : 'password', value: fields[slug] ?? '' });
      delete fields[slug];
    }
    try {
      return splitValues(t.fields, fields, custom, base);
    } catch (again) {
      if (!isAppError(again) || again.code !== 'validation.failed') throw again;
      throw new SkipEntry(problems(again.details ?? []));
    }
  }
}

function problems(details: Array<{ path: string; message: string }>): string {
  const text = details.map((d) => `${d.path} ${d.message}`).join('; ');
  return `invalid fields: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}
