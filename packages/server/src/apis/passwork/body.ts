// Request bodies as Passwork's clients send them: JSON (the connectors), nothing at all (a login
// without options, a DELETE), JSON on a DELETE (the JS connector's snapshot), whatever the
// Content-Type says; a form is read too. Field readers check types and answer Passwork's 400.
import type { FastifyInstance } from 'fastify';
import { addLenientParser, type LenientBodyOptions } from '../../http/lenient-body.ts';
import { AppError } from '../../lib/app-error.ts';

/** How Passwork's clients' bodies read: lists as PHP reads them, a `null` body is none. */
export const PASSWORK_BODY: LenientBodyOptions = { maxFields: 200, repeated: 'list', nullIsEmpty: true };

export function registerParsers(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  addLenientParser(instance, PASSWORK_BODY);
}

export const invalid = (path: string, message: string) =>
  new AppError('validation.failed', 'Some fields are invalid.', { details: [{ path, message }] });

/** The body as an object of fields (none: an empty object). */
export function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('/', 'must be an object');
  return body as Record<string, unknown>;
}

/** A text field: absent (undefined), null when `nullable`, else a string of at most `max` characters. */
export function text(b: Record<string, unknown>, key: string, max = 65536, opts: { nullable?: boolean } = {}): string | undefined | null {
  const v = b[key];
  if (v === undefined) return undefined;
  if (v === null) {
    if (opts.nullable) return null;
    return undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw invalid(`/${key}`, 'must be a string');
  if (v.length > max) throw invalid(`/${key}`, `must be at most ${max} characters`);
  return v;
}

export function str(b: Record<string, unknown>, key: string, max = 65536): string | undefined {
  return text(b, key, max) ?? undefined;
}

export function bool(b: Record<string, unknown>, key: string): boolean | undefined {
  const v = b[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1' || v === 1) return true;
  if (v === 'false' || v === '0' || v === 0) return false;
  throw invalid(`/${key}`, 'must be a boolean');
}

/** A list of strings (a single string is a list of one). */
export function strings(b: Record<string, unknown>, key: string, opts: { max?: number; each?: number } = {}): string[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (list.length > (opts.max ?? 100)) throw invalid(`/${key}`, `at most ${opts.max ?? 100} items`);
  return list.map((x, i) => {
    if (typeof x === 'number') return String(x);
    if (typeof x !== 'string') throw invalid(`/${key}/${i}`, 'must be a string');
    if (x.length > (opts.each ?? 1000)) throw invalid(`/${key}/${i}`, 'too long');
    return x;
  });
}

/** A list of objects. */
export function objects(b: Record<string, unknown>, key: string, max: number): Array<Record<string, unknown>> | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(`/${key}`, 'must be an array');
  if (v.length > max) throw invalid(`/${key}`, `at most ${max} items`);
  return v.map((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw invalid(`/${key}/${i}`, 'must be an object');
    return x as Record<string, unknown>;
  });
}
