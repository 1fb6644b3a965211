// Passbolt's query conventions: `filter[search]=x`, `filter[has-groups][]=a&filter[has-groups][]=b`,
// `contain[profile]=1`. The query parser keeps the bracketed names flat; these read both forms.
import { invalid } from './body.ts';
import { ANY_UUID } from './ids.ts';

function raw(query: unknown, name: string): unknown {
  const q = (query ?? {}) as Record<string, unknown>;
  const nested = q.filter && typeof q.filter === 'object' ? (q.filter as Record<string, unknown>)[name] : undefined;
  return q[`filter[${name}][]`] ?? q[`filter[${name}]`] ?? nested;
}

/** One filter value (the first when repeated). */
export function filterValue(query: unknown, name: string): string | undefined {
  const v = raw(query, name);
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  if (typeof first !== 'string') throw invalid(`filter[${name}]`, 'type', `The filter ${name} should be a string.`);
  if (first.length > 256) throw invalid(`filter[${name}]`, 'maxLength', `The filter ${name} is too long.`);
  return first;
}

/** A list filter of UUIDs (`filter[x][]=…`); each must be a UUID. */
export function filterUuids(query: unknown, name: string): string[] | undefined {
  const v = raw(query, name);
  if (v === undefined || v === null || v === '') return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : [x]));
  if (list.length > 100) throw invalid(`filter[${name}]`, 'maxLength', `The filter ${name} has too many values.`);
  for (const x of list) {
    if (typeof x !== 'string' || !ANY_UUID.test(x))
      throw invalid(`filter[${name}]`, 'uuid', `The filter ${name} should be a list of valid UUIDs.`);
  }
  return list as string[];
}

/** A boolean filter (`1`, `true`). */
export function filterFlag(query: unknown, name: string): boolean | undefined {
  const v = filterValue(query, name);
  return v === undefined ? undefined : v === '1' || v === 'true';
}
