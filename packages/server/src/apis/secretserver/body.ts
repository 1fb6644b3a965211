// Request bodies as Secret Server's clients send them: JSON (the SDKs, PowerShell, scripts) with
// keys in any case (camelCase, PascalCase: .NET binds them without regard to case), a form (the
// OAuth2 token request), multipart/form-data (a file field's upload). Parsed for this surface only.
import type { FastifyInstance } from 'fastify';
import { addLenientParser, isPrototypeKey, type LenientBodyOptions, parseLenientBody } from '../../http/lenient-body.ts';
import { AppError } from '../../lib/app-error.ts';

/** A multipart body (one file field's content and its headers). */
export const MAX_MULTIPART_BYTES = 1024 * 1024;

/** The body of a multipart request, kept whole for the route to split. */
export interface MultipartBody {
  multipart: true;
  boundary: string;
  raw: Buffer;
}

export function isMultipart(body: unknown): body is MultipartBody {
  return typeof body === 'object' && body !== null && (body as MultipartBody).multipart === true;
}

/** How Secret Server's clients' bodies read: the first value of a key wins, as a .NET binder reads a form. */
export const SECRETSERVER_BODY: LenientBodyOptions = { maxFields: 100, repeated: 'first', jsonStrings: true };

/** JSON when it looks like JSON (curl -d labels JSON as a form), else a form. */
export const parseText = (text: string): unknown => parseLenientBody(text, SECRETSERVER_BODY);

/** The surface's parsers: multipart kept whole (bounded), every other label read as JSON or a form. */
export function registerParsers(instance: FastifyInstance): void {
  instance.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: MAX_MULTIPART_BYTES }, (req, body, done) => {
    const m = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(String(req.headers['content-type'] ?? ''));
    const boundary = m?.[1] ?? m?.[2];
    if (!boundary) {
      done(new AppError('validation.failed', 'A multipart body needs a boundary.'), undefined);
      return;
    }
    done(null, { multipart: true, boundary, raw: body as Buffer } satisfies MultipartBody);
  });
  addLenientParser(instance, SECRETSERVER_BODY);
}

/**
 * A JSON value with every object key lower-cased (deeply), so that `FolderId`, `folderID` and
 * `folderId` read alike, as .NET's model binding reads them. Keys that would become prototype
 * keys are refused.
 */
export function lowerKeys(v: unknown, depth = 0): unknown {
  if (depth > 40) throw new AppError('request.invalid_json', 'The body is nested too deep.');
  if (Array.isArray(v)) return v.map((x) => lowerKeys(x, depth + 1));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const key = k.toLowerCase();
    if (isPrototypeKey(key)) throw new AppError('request.invalid_json', 'Keys named __proto__, constructor or prototype are refused.');
    out[key] = lowerKeys(x, depth + 1);
  }
  return out;
}

const invalid = (path: string, message: string) =>
  new AppError('validation.failed', `The request is invalid: ${path.slice(1)} ${message}.`, { details: [{ path, message }] });

/** The body as an object with lower-cased keys; an empty body is an empty object. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (isMultipart(body) || typeof body !== 'object' || Array.isArray(body)) throw invalid('/', 'must be a JSON object');
  return lowerKeys(body) as Record<string, unknown>;
}

/** An object member (already lower-cased), or an empty object. */
export function objectAt(o: Record<string, unknown>, key: string, path = `/${key}`): Record<string, unknown> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(path, 'must be an object');
  return v as Record<string, unknown>;
}

/** Text: strings, numbers and booleans are accepted as .NET converts them; objects are not. */
export function textAt(o: Record<string, unknown>, key: string, max: number, path = `/${key}`): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else throw invalid(path, 'must be text');
  if (s.length > max) throw invalid(path, `must be at most ${max} characters`);
  return s;
}

/** An integer id: a number or a string of digits (negative allowed: -1 means none). */
export function intAt(o: Record<string, unknown>, key: string, path = `/${key}`): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d{1,16}\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalid(path, 'must be an integer');
  return n;
}

/** A boolean: true/false, or their text and 1/0 forms. */
export function boolAt(o: Record<string, unknown>, key: string, path = `/${key}`): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True' || v === '1' || v === 1) return true;
  if (v === 'false' || v === 'False' || v === '0' || v === 0) return false;
  throw invalid(path, 'must be true or false');
}

/** A list member (already lower-cased), or an empty list. */
export function listAt(o: Record<string, unknown>, key: string, max: number, path = `/${key}`): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(path, 'must be a list');
  if (v.length > max) throw invalid(path, `must hold at most ${max} items`);
  return v;
}

/** The first file part of a multipart body: its file name and content. */
export function multipartFile(body: MultipartBody): { filename: string | null; content: Buffer } {
  const raw = body.raw;
  const delimiter = Buffer.from(`--${body.boundary}`);
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const headerStart = at + delimiter.length;
    // the closing delimiter `--boundary--`
    if (raw.subarray(headerStart, headerStart + 2).toString() === '--') break;
    const headerEnd = raw.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) break;
    const headers = raw.subarray(headerStart, headerEnd).toString('utf8');
    const next = raw.indexOf(Buffer.from(`\r\n--${body.boundary}`), headerEnd + 4);
    if (next < 0) break;
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const filename = /filename\*?=(?:"([^"]*)"|([^;\s]*))/i.exec(disposition);
    const name = /[;\s]name="?([^";]*)"?/i.exec(disposition)?.[1];
    if (filename || name === 'file') {
      return { filename: filename ? (filename[1] ?? filename[2] ?? null) : null, content: raw.subarray(headerEnd + 4, next) };
    }
    at = next + 2;
  }
  throw invalid('/file', 'is missing: send the file as a multipart/form-data part named "file"');
}
