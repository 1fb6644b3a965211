// Request bodies as Passbolt's clients send them: JSON (the browser extension, the Go and Python
// clients), a form now and then (curl scripts), whatever the Content-Type says. Field readers check
// types and answer Passbolt's validation body (`{field: {rule: message}}`, envelope.ts).
import type { FastifyInstance } from 'fastify';
import { addLenientParser, type LenientBodyOptions } from '../../http/lenient-body.ts';
import { AppError } from '../../lib/app-error.ts';

export const PASSBOLT_BODY: LenientBodyOptions = { maxFields: 500, repeated: 'list', nullIsEmpty: true };

export function registerParsers(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  addLenientParser(instance, PASSBOLT_BODY);
}

/** A validation failure of one field, as Passbolt words it: `{field: {rule: message}}`. */
export const invalid = (field: string, rule: string, message: string, summary = 'Could not validate the data.') =>
  new AppError('validation.failed', summary, { details: [{ path: `/${field}`, message, rule }] });

/** The body as an object of fields (none: an empty object). */
export function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('_global', 'type', 'The request body must be an object.');
  return body as Record<string, unknown>;
}

/** A text field: undefined when absent (or null and `nullable`), else a string of at most `max` characters. */
export function text(b: Record<string, unknown>, key: string, max = 1024): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw invalid(key, 'utf8Extended', `The ${key} should be a valid string.`);
  if (v.length > max) throw invalid(key, 'maxLength', `The ${key} length should be maximum ${max} characters.`);
  return v;
}

/** A required text field (Passbolt's `_required` / `_empty` rules). */
export function required(b: Record<string, unknown>, key: string, max = 1024): string {
  const v = text(b, key, max);
  if (v === undefined) throw invalid(key, '_required', `A ${key} is required.`);
  if (v.trim() === '') throw invalid(key, '_empty', `The ${key} should not be empty.`);
  return v;
}
