// Bodies as the compatibility APIs' clients send them: JSON when it looks like JSON, else a form,
// whatever the Content-Type says (curl -d labels JSON as a form; some collections label a form as
// JSON). One parse for the surfaces that read bodies that way (senhasegura, Passwork, Secret
// Server): bounded, keys that could reach a prototype refused, NUL characters refused. The native
// API keeps its strict JSON-only parser (http/hooks.ts); PMP has its own (INPUT_DATA quirks).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../lib/app-error.ts';
import { hasNul, parseJsonBody } from './json-body.ts';

const POISON = new Set(['__proto__', 'constructor', 'prototype']);
/** A key that could reach an object's prototype, in any case. */
export const isPrototypeKey = (key: string): boolean => POISON.has(key.toLowerCase());

export interface LenientBodyOptions {
  /** Fields a form may hold: far above what any operation of the surface takes. */
  maxFields: number;
  /**
   * `list`: `tags[]=x&tags[]=y` make a list, a repeated plain key keeps its last value (PHP's
   * reading, senhasegura and Passwork); `first`: the first value of a key wins and `[]` is part of the name (a .NET binder's
   * reading, Secret Server).
   */
  repeated: 'list' | 'first';
  /** A JSON string body (`"..."`) is JSON, not a form (Secret Server's clients send some). */
  jsonStrings?: boolean;
  /** A body of just `null` is no body (Passwork's JS connector sends it on a DELETE). */
  nullIsEmpty?: boolean;
}

/** `a=1&b=2` -> { a: '1', b: '2' }, lists per `repeated`. Prototype keys refused in any case. */
export function parseLenientForm(text: string, o: LenientBodyOptions): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let n = 0;
  for (const [rawKey, value] of new URLSearchParams(text)) {
    if (++n > o.maxFields) throw new AppError('validation.failed', `At most ${o.maxFields} fields.`);
    const list = o.repeated === 'list' && rawKey.endsWith('[]');
    const key = list ? rawKey.slice(0, -2) : rawKey;
    if (isPrototypeKey(key)) {
      throw new AppError('request.invalid_json', 'Keys named __proto__, constructor or prototype are refused.');
    }
    const prev = out[key];
    if (o.repeated === 'first') {
      if (prev === undefined) out[key] = value;
    } else if (list || Array.isArray(prev)) out[key] = [...(Array.isArray(prev) ? prev : prev === undefined ? [] : [prev]), value];
    else out[key] = value;
  }
  return out;
}

/** A body whatever its label: JSON when it looks like JSON, else a form; empty is `undefined`. */
export function parseLenientBody(text: string, o: LenientBodyOptions): unknown {
  const t = text.trim();
  if (t.length === 0 || (o.nullIsEmpty && t === 'null')) return undefined;
  const json = t.startsWith('{') || t.startsWith('[') || (o.jsonStrings === true && t.startsWith('"'));
  const value = json ? parseJsonBody(t) : parseLenientForm(t, o);
  if (hasNul(value)) throw new AppError('validation.failed', 'Text with NUL characters is refused.');
  return value;
}

/** The surface's catch-all content-type parser: every label gets the same lenient parse. */
export function addLenientParser(instance: FastifyInstance, o: LenientBodyOptions): void {
  instance.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseLenientBody(body as string, o));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
