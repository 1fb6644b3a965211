// Request bodies as senhasegura's clients send them: a form (the Ansible collection, curl -d), a
// JSON object (most scripts), and a form labelled application/json (the Ansible collection's
// DELETE). Parsed here for this surface only; the native API keeps its JSON-only parser.
import type { FastifyInstance } from 'fastify';
import { hasNul, parseJsonBody } from '../../http/json-body.ts';
import { AppError } from '../../lib/app-error.ts';

const POISON = new Set(['__proto__', 'constructor', 'prototype']);
/** Fields per body: far above what any senhasegura operation takes. */
const MAX_FIELDS = 200;

/** `a=1&b=2` (also `tags[]=x&tags[]=y`) -> { a: '1', b: '2', tags: ['x', 'y'] }. */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let n = 0;
  for (const [rawKey, value] of new URLSearchParams(text)) {
    if (++n > MAX_FIELDS) throw new AppError('validation.failed', `At most ${MAX_FIELDS} fields.`);
    const list = rawKey.endsWith('[]');
    const key = list ? rawKey.slice(0, -2) : rawKey;
    if (POISON.has(key)) throw new AppError('request.invalid_json', 'Keys named __proto__, constructor or prototype are refused.');
    const prev = out[key];
    if (list || Array.isArray(prev)) out[key] = [...(Array.isArray(prev) ? prev : prev === undefined ? [] : [prev]), value];
    else out[key] = value;
  }
  return out;
}

/** A body whatever its label: a JSON object or array when it looks like one, else a form. */
export function parseAnyBody(text: string): unknown {
  const t = text.trim();
  if (t.length === 0) return undefined;
  const value = t.startsWith('{') || t.startsWith('[') ? parseJsonBody(t) : parseForm(t);
  if (hasNul(value)) throw new AppError('validation.failed', 'Text with NUL characters is refused.');
  return value;
}

/** The surface's content-type parsers: every label gets the same lenient parse. */
export function registerParsers(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseAnyBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
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
