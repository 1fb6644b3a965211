// The built web UI (packages/web/dist, COFFER_WEB_DIR), read into memory at start: `GET /` and every
// other browser navigation outside the API prefixes answer index.html (the app routes with the
// History API); /assets/* are Vite's content-hashed files, cached for a year. A file is found only
// by exact lookup of the raw request path in the table made at start, so no request can name a
// path outside the directory (no decoding, no joining of paths).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { UI_CSP } from './csp.ts';

export { UI_CSP };

const uiHeaders: Record<string, string> = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.webmanifest', '.txt', '.svg', '.ico']);

/** Paths of the APIs: never the UI, whatever the Accept header says. */
const API_PREFIXES = ['/ui', '/api', '/restapi', '/iso', '/secretserver', '/passbolt', '/health'];
/** A URL path the table can hold: what Vite writes (no percent-encoding, no dot segments). */
const SERVABLE_PATH = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)*[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
/** A dist holds a few megabytes; a directory much larger than this is not a UI build (e.g. `/`). */
const MAX_FILES = 2000;
const MAX_BYTES = 64 * 1024 * 1024;

interface UiFile {
  body: Buffer;
  /** Worth compressing (text, over 1 KiB). */
  compressible: boolean;
  /** The gzip form, made at its first request (the CLI builds the app too and serves nothing). */
  gzip?: Buffer | null;
  type: string;
  etag: string;
  /** Vite's content-hashed output: a new build has new names, so these never change. */
  immutable: boolean;
}

export interface WebUi {
  dir: string;
  files: ReadonlyMap<string, UiFile>;
  index: UiFile;
}

/** What loadWebUi found: the UI, or why there is none (main.ts prints it at start). */
export interface WebUiLoad {
  ui: WebUi | undefined;
  /** One line for the start log; undefined when no directory was configured. */
  note: string | undefined;
}

/**
 * Reads the UI's files (regular files only: symbolic links and dot files are skipped). No UI when
 * there is no directory, no index.html, or too much to be a UI build. Logs nothing: the CLI builds
 * the app too, and its output is its own.
 */
export function loadWebUi(dir: string | undefined): WebUiLoad {
  if (!dir) return { ui: undefined, note: undefined };
  const files = new Map<string, UiFile>();
  let bytes = 0;
  const walk = (abs: string, urlPath: string): boolean => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = path.join(abs, entry.name);
      const url = `${urlPath}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!walk(child, url)) return false;
      } else if (entry.isFile() && SERVABLE_PATH.test(url)) {
        const body = readFileSync(child);
        bytes += body.length;
        if (files.size >= MAX_FILES || bytes > MAX_BYTES) return false;
        files.set(url, uiFile(url, body));
      }
    }
    return true;
  };
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    if (!walk(dir, '')) {
      return { ui: undefined, note: `not served: ${dir} holds more than ${MAX_FILES} files or ${MAX_BYTES} bytes` };
    }
  } catch {
    return { ui: undefined, note: `none at ${dir} (npm run build -w @coffer/web); GET / answers where the APIs are` };
  }
  const index = files.get('/index.html');
  if (!index) return { ui: undefined, note: `not served: no index.html in ${dir}` };
  return { ui: { dir, files, index }, note: `${files.size} files from ${dir}` };
}

function uiFile(url: string, body: Buffer): UiFile {
  const ext = path.extname(url).toLowerCase();
  return {
    body,
    compressible: COMPRESSIBLE.has(ext) && body.length > 1024,
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    immutable: url.startsWith('/assets/'),
  };
}

/** The request's Accept lists text/html (with a non-zero q): a browser navigating. `*\/*` is not enough. */
export function acceptsHtml(req: FastifyRequest): boolean {
  return acceptsToken(req.headers.accept, 'text/html');
}

function acceptsToken(header: string | string[] | undefined, token: string): boolean {
  if (typeof header !== 'string') return false;
  return header.split(',').some((range) => {
    const [name, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    return name === token && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

function vary(reply: FastifyReply, header: string): void {
  const had = reply.getHeader('vary');
  reply.header('vary', had ? `${String(had)}, ${header}` : header);
}

function isApiPath(p: string): boolean {
  const lower = p.toLowerCase();
  return API_PREFIXES.some((x) => lower === x || lower.startsWith(`${x}/`));
}

/** Sends one of the UI's files with its type, caching, compression and the UI's security headers. */
function send(req: FastifyRequest, reply: FastifyReply, f: UiFile): FastifyReply {
  for (const [k, v] of Object.entries(uiHeaders)) reply.header(k, v);
  reply.header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header('etag', f.etag);
  if (f.compressible) vary(reply, 'accept-encoding');
  if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
  reply.type(f.type);
  if (f.compressible && acceptsToken(req.headers['accept-encoding'], 'gzip')) {
    if (f.gzip === undefined) {
      const gz = gzipSync(f.body, { level: 9 });
      f.gzip = gz.length < f.body.length ? gz : null;
    }
    if (f.gzip) return reply.header('content-encoding', 'gzip').send(f.gzip);
  }
  return reply.send(f.body);
}

/**
 * For the root's not-found handler: a GET/HEAD no route matched is one of the UI's files, or (a
 * browser navigating to a client-side route outside the API prefixes) index.html. False: the
 * native 404 answers.
 */
export function uiFallback(ui: WebUi | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (!ui || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const p = req.url.split('?')[0] ?? '';
    if (isApiPath(p)) return false;
    const file = SERVABLE_PATH.test(p) ? ui.files.get(p) : undefined;
    if (file) {
      send(req, reply, file);
      return true;
    }
    // a missing asset is a 404, never the page (a script tag would get HTML)
    if (p.startsWith('/assets/') || !acceptsHtml(req)) return false;
    vary(reply, 'accept');
    send(req, reply, ui.index);
    return true;
  };
}

/**
 * `GET /` (and HEAD, which some senhasegura clients probe first): a browser gets the UI; any other
 * client — or every client when no UI was built — where the APIs are, as JSON.
 */
export function frontDoorRoute(app: FastifyInstance, ui: WebUi | undefined): void {
  app.get('/', {
    config: { auth: 'public', permission: 'none', action: 'sys.index', audit: false, whileSealed: true },
    schema: {
      // not an API operation: out of the API description
      hide: true,
      response: {
        200: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'api', 'docs'],
          properties: { name: { type: 'string' }, api: { type: 'string' }, docs: { type: 'string' } },
        },
      },
    },
    handler: async (req, reply) => {
      // the same URL answers a page or JSON by the Accept header: caches must keep both apart
      if (ui) vary(reply, 'accept');
      if (ui && acceptsHtml(req)) return send(req, reply, ui.index);
      return { name: 'Coffer', api: '/api/v1', docs: '/api/v1/docs' };
    },
  });
}
