// PMP's input: `INPUT_DATA` (JSON, sometimes with bare words in it, as org.json accepts) in the
// query or in a form-encoded body whatever Content-Type the client claims, or a raw JSON body;
// other parameters (USERNAME, RESOURCENAME, ...) in the query or the form. Bounded, and keys
// that could reach an object's prototype are dropped.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';

/** The largest body the PMP surface reads (a resource with 40 custom fields fits many times). */
export const MAX_BODY_BYTES = 256 * 1024;
/** Deepest nesting accepted in INPUT_DATA. */
const MAX_DEPTH = 16;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const malformed = (what = 'INPUT_DATA') =>
  new AppError('validation.failed', `Invalid input: ${what} is not valid JSON.`, {
    reason: 'input_data',
    details: [{ path: '/INPUT_DATA', message: 'not valid JSON' }],
  });

/** A parsed request body: the form's fields, or a raw JSON document. */
export type PmpBody = { kind: 'form'; fields: Record<string, string> } | { kind: 'json'; value: unknown } | { kind: 'empty' };

export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of new URLSearchParams(text)) {
    if (FORBIDDEN_KEYS.has(k) || k.length > 100) continue;
    // the first occurrence wins, like a servlet's getParameter
    if (!(k in out)) out[k] = v;
  }
  return out;
}

/**
 * Where the JSON value starting at `start` ends: its brackets balanced, quoted text (either quote,
 * backslash escapes) skipped; the end of the text when it never closes (the parser then says why).
 */
export function jsonExtent(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** `INPUT_DATA=` followed by a bare `{` or `[`: the client did not URL-encode the value. */
const RAW_INPUT_DATA = /(?:^|&)INPUT_DATA\s*=\s*(?=[{[])/i;

/**
 * A body as PMP reads it, whatever its Content-Type: JSON when it looks like JSON, else a form.
 * A form whose INPUT_DATA is not URL-encoded (`INPUT_DATA={...}` as curl -d, PowerShell strings and
 * Python scripts writing `"INPUT_DATA=" + str(dict)` send it) keeps its value as written: an `&`,
 * `+` or `%` in a password is the password's, not the form's.
 */
export function parseBody(text: string): PmpBody {
  const t = text.trim();
  if (t === '') return { kind: 'empty' };
  if (t.startsWith('{')) return { kind: 'json', value: parseLenientJson(t) };
  const raw = RAW_INPUT_DATA.exec(t);
  if (raw) {
    const start = raw.index + raw[0].length;
    const end = jsonExtent(t, start);
    const fields = parseForm(`${t.slice(0, raw.index)}&${t.slice(end)}`);
    fields.INPUT_DATA = t.slice(start, end);
    return { kind: 'form', fields };
  }
  return { kind: 'form', fields: parseForm(t) };
}

/** Content-type parsers of the PMP surface only: every type reads as PMP reads it. */
export function registerPmpParsers(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => {
    try {
      done(null, parseBody(String(body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

/**
 * The body of a GET (Fastify reads none): PMP's reference sends INPUT_DATA that way
 * (`curl -X GET --data-urlencode INPUT_DATA=...`). Read here, bounded, and parsed like any body.
 */
export async function readGetBody(req: FastifyRequest): Promise<void> {
  const h = req.headers;
  const length = Number(h['content-length'] ?? 0);
  if (h['transfer-encoding'] === undefined && !(length > 0)) return;
  if (length > MAX_BODY_BYTES) throw new AppError('request.body_too_large', 'The request is too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AppError('request.body_too_large', 'The request is too large.');
    chunks.push(chunk as Buffer);
  }
  req.body = parseBody(Buffer.concat(chunks).toString('utf8'));
}

/**
 * JSON, or JSON with bare words where strings belong (`{operation:{Details:{RESETTYPE:LOCAL}}}`,
 * as PMP's own examples send it). Objects are built without a prototype and without keys that
 * could reach one.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return sanitize(JSON.parse(text), 0);
  } catch {
    // fall through to the lenient reader
  }
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw malformed();
  };
  const quoted = (): string => {
    const q = text[i];
    let j = i + 1;
    let raw = '';
    while (j < text.length && text[j] !== q) {
      if (text[j] === '\\') {
        raw += text.slice(j, j + 2);
        j += 2;
      } else raw += text[j++];
    }
    if (j >= text.length) fail();
    i = j + 1;
    try {
      // escapes kept; a bare `"` escaped, `\'` unescaped; Python's repr writes \xNN for \u00NN
      const json = raw.replace(/\\x([0-9a-fA-F]{2})|\\'|\\.|"/g, (m, hex: string | undefined) =>
        hex ? `\\u00${hex}` : m === "\\'" ? "'" : m === '"' ? '\\"' : m,
      );
      return JSON.parse(`"${json}"`) as string;
    } catch {
      return fail();
    }
  };
  const bare = (): string => {
    const start = i;
    while (i < text.length && !',:]}'.includes(text[i] as string)) i++;
    const w = text.slice(start, i).trim();
    if (w === '') fail();
    return w;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const key = text[i] === '"' || text[i] === "'" ? quoted() : bare();
        ws();
        if (text[i] !== ':') fail();
        i++;
        const v = value(depth + 1);
        if (!FORBIDDEN_KEYS.has(key)) obj[key] = v;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        return fail();
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        return fail();
      }
    }
    if (c === '"' || c === "'") return quoted();
    const w = bare();
    // JSON's words, and Python's (scripts send `str(dict)`)
    if (w === 'true' || w === 'True') return true;
    if (w === 'false' || w === 'False') return false;
    if (w === 'null' || w === 'None') return null;
    return w;
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail();
  return v;
}

function sanitize(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw malformed();
  if (Array.isArray(v)) return v.map((x) => sanitize(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) if (!FORBIDDEN_KEYS.has(k)) out[k] = sanitize(x, depth + 1);
    return out;
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A key of an object, exact or in any case (clients write `Details`, `details`, `DETAILS`). */
export function pick(obj: Record<string, unknown> | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (key in obj) return obj[key];
  const upper = key.toUpperCase();
  for (const k of Object.keys(obj)) if (k.toUpperCase() === upper) return obj[k];
  return undefined;
}

/** What a PMP request carries: `operation.Details` of INPUT_DATA, and its plain parameters. */
export interface PmpInput {
  details: Record<string, unknown>;
  /** A plain parameter: query first, then the form body, then Details. */
  param(name: string): string | undefined;
  /** A Details field (or a plain parameter of that name) as trimmed text; '' when absent. */
  text(name: string): string;
}

function rawQuery(req: FastifyRequest): Record<string, unknown> {
  return (req.query ?? {}) as Record<string, unknown>;
}

function firstString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** The details of an INPUT_DATA document: `{"operation":{"Details":{...}}}` (or already the details). */
function detailsOf(doc: unknown): Record<string, unknown> {
  if (!isObject(doc)) throw malformed();
  const op = pick(doc, 'operation');
  if (op === undefined) return doc;
  if (!isObject(op)) throw malformed();
  const d = pick(op, 'Details');
  if (d === undefined) return Object.create(null);
  if (!isObject(d)) throw malformed();
  return d;
}

export function readInput(req: FastifyRequest): PmpInput {
  const body = (req.body ?? { kind: 'empty' }) as PmpBody;
  const query = rawQuery(req);
  const form = body.kind === 'form' ? body.fields : undefined;
  let details: Record<string, unknown> = Object.create(null);
  const fromForm = form ? pick(form, 'INPUT_DATA') : undefined;
  const fromQuery = firstString(pick(query, 'INPUT_DATA'));
  if (body.kind === 'json') details = detailsOf(body.value);
  else if (typeof fromForm === 'string' && fromForm.trim() !== '') details = detailsOf(parseLenientJson(fromForm.trim()));
  else if (fromQuery !== undefined && fromQuery.trim() !== '') details = detailsOf(parseLenientJson(fromQuery.trim()));
  const param = (name: string): string | undefined => {
    const q = firstString(pick(query, name));
    if (q !== undefined) return q;
    const f = form ? pick(form, name) : undefined;
    if (typeof f === 'string') return f;
    const d = pick(details, name);
    if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return String(d);
    return undefined;
  };
  return {
    details,
    param,
    text: (name) => (param(name) ?? '').trim(),
  };
}

/** A Details value as text: strings, numbers and booleans; '' for anything else. */
export function asText(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** PMP's booleans: true, "true", "TRUE", "yes". */
export function asBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return ['true', 'yes', '1'].includes(asText(v).toLowerCase());
}
