// Request bodies as senhasegura's clients send them: a form (the Ansible collection, curl -d), a
// JSON object (most scripts), and a form labelled application/json (the Ansible collection's
// DELETE). Parsed here for this surface only; the native API keeps its JSON-only parser.
import type { FastifyInstance } from 'fastify';
import { addLenientParser, type LenientBodyOptions } from '../../http/lenient-body.ts';
import { AppError } from '../../lib/app-error.ts';

/** How senhasegura's clients' bodies read: lists as PHP reads them. */
export const SENHASEGURA_BODY: LenientBodyOptions = { maxFields: 200, repeated: 'list' };

/** The surface's content-type parsers: every label gets the same lenient parse. */
export function registerParsers(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  addLenientParser(instance, SENHASEGURA_BODY);
}

/** The body as an object of fields (an empty body is no fields); anything else is refused. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation.failed', 'The body must be an object of fields.', {
      details: [{ path: '/', message: 'must be an object' }],
    });
  }
  return body as Record<string, unknown>;
}

const MAX_TEXT = 65536;

/** A field as trimmed text: strings, numbers and booleans are accepted (JSON clients send port: 22); a list is not text. */
export function text(fields: Record<string, unknown>, name: string, max = 1000): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else
    throw new AppError('validation.failed', `The field ${name} must be text.`, {
      details: [{ path: `/${name}`, message: 'must be text' }],
    });
  if (s.length > Math.min(max, MAX_TEXT)) {
    throw new AppError('validation.failed', `The field ${name} is too long.`, {
      details: [{ path: `/${name}`, message: `at most ${max} characters` }],
    });
  }
  return s.trim();
}

/** The password as sent (not trimmed: spaces can be part of it). */
export function secretText(fields: Record<string, unknown>, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new AppError('validation.failed', `The field ${name} must be text.`, {
      details: [{ path: `/${name}`, message: 'must be text' }],
    });
  }
  const s = String(v);
  if (s.length > MAX_TEXT) throw new AppError('validation.failed', `The field ${name} is too long.`);
  return s;
}

/** "a, b,c" or ["a","b"] -> ['a', 'b', 'c'] (empty items dropped, duplicates kept once). */
export function list(fields: Record<string, unknown>, name: string): string[] | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && !v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    throw new AppError('validation.failed', `The field ${name} must be text or a list of texts.`, {
      details: [{ path: `/${name}`, message: 'must be text' }],
    });
  }
  const raw = Array.isArray(v) ? v.map((x) => String(x)) : [text(fields, name, 4000) ?? ''];
  return [
    ...new Set(
      raw
        .flatMap((x) => x.split(','))
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}
