import type { ErrorEnvelope } from '@coffer/contracts/errors';
import { textPatternMessage } from '@coffer/contracts/text';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { AppError, isAppError } from '../lib/app-error.ts';
import { normalizeIp } from '../lib/cidr.ts';
import { poolBytes } from '../lib/random-pool.ts';
import type { AuditLog } from '../modules/audit/audit-log.ts';
import { anonymousActor, type RequestContext } from '../modules/auth/actor.ts';
import { errorStatus } from './errors.ts';
import { parseJsonBody } from './json-body.ts';
import type { RenderedError } from './surface.ts';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** A caller-supplied X-Request-Id is kept when it is well-formed, else a fresh one is made. */
export function genRequestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const h = req.headers['x-request-id'];
  if (typeof h === 'string' && REQUEST_ID.test(h)) return h;
  return `req_${poolBytes(12).toString('base64url')}`;
}

const securityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/**
 * Which surface renders errors for a path that reached no route context (a malformed URL): the
 * longest registered prefix that the path starts with, else the native envelope.
 */
export function createEdgeRegistry() {
  const entries: Array<{ prefix: string; render: NonNullable<FastifyRequest['surfaceRender']> }> = [];
  return {
    add(prefix: string, render: NonNullable<FastifyRequest['surfaceRender']>) {
      entries.push({ prefix, render });
      entries.sort((a, b) => b.prefix.length - a.prefix.length);
    },
    renderFor(url: string) {
      const path = url.split('?')[0] ?? '';
      return entries.find((e) => path === e.prefix || path.startsWith(`${e.prefix}/`))?.render;
    },
  };
}
export type EdgeRegistry = ReturnType<typeof createEdgeRegistry>;

/**
 * What every surface shares, at the root: the request context, the JSON body parser (surfaces with
 * their own parsers replace it in their context), the audit safety net, security headers, and the
 * answers for requests that reach no surface.
 */
export function registerEdge(
  app: FastifyInstance,
  deps: {
    db: Db;
    audit: AuditLog;
    tls: boolean;
    registry: EdgeRegistry;
    /** Answers a request no route matched (true: it sent the answer), before the native 404. */
    notFound?: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  },
): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.decorateRequest('surfaceRender', undefined);

  app.removeAllContentTypeParsers();
  registerJsonParser(app);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    req.ctx = { actor: anonymousActor, requestId: req.id, sourceIp: normalizeIp(req.ip), audited: false, via: 'native' };
  });

  // Safety net: a successful operation whose service wrote no audit record (a pure read such as
  // whoami) is recorded here, before the response leaves; if that fails the caller gets 503 and
  // no data (fail closed).
  app.addHook('onSend', async (req, reply, payload) => {
    const cfg = req.routeOptions?.config ?? {};
    const ctx = req.ctx;
    if (!ctx || ctx.audited || !cfg.action || cfg.audit === false || reply.statusCode >= 400) return payload;
    try {
      await deps.audit.appendDurable(deps.db, ctx, { action: cfg.action as string, outcome: 'success' });
      return payload;
    } catch (e) {
      req.log.error({ err: e }, 'audit write failed');
      const out = (req.surfaceRender ?? renderNative)(
        new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.'),
        req,
      );
      reply.code(out.status).header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(out.body);
    }
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(securityHeaders)) if (!reply.hasHeader(k)) reply.header(k, v);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    if (deps.tls) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });

  app.setNotFoundHandler(async (req, reply) => {
    // the web UI's files and its client-side routes (apis/web/static.ts) are what no route matched
    if (deps.notFound && (await deps.notFound(req, reply))) return reply;
    const ctx = req.ctx ?? { requestId: req.id };
    return reply.code(404).send(envelope('not_found', 'No such route.', ctx.requestId));
  });

  // errors outside any surface's context (the root's own hooks, unmatched requests)
  app.setErrorHandler(async (err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const final = toAppError(err);
    if (errorStatus[final.code] >= 500) req.log.error({ err, code: final.code }, 'request failed');
    const out = renderNative(final, req);
    for (const [k, v] of Object.entries(out.headers ?? {})) reply.header(k, v);
    return reply.code(out.status).send(out.body);
  });
}

/** The JSON body parser (depth limit, no prototype keys: json-body.ts) on an instance. */
export function registerJsonParser(instance: FastifyInstance): void {
  instance.addContentTypeParser(['application/json', 'application/jsonl'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

/** The native API's error answer: `{error:{code,message,requestId,details?}}` (docs/errors.md). */
export function renderNative(final: AppError, req: FastifyRequest): RenderedError {
  const status = errorStatus[final.code];
  const headers: Record<string, string> = {};
  if (final.code === 'auth.required' || final.code === 'auth.invalid_token') headers['www-authenticate'] = 'Bearer';
  const message = status >= 500 && final.code === 'internal' ? 'Internal error.' : final.message;
  return { status, body: envelope(final.code, message, req.id, final.details), headers };
}

/**
 * Fastify's own URL errors (a malformed percent-encoding, a path parameter longer than
 * maxParamLength) answer with the envelope and the usual headers too (no route hooks run for them).
 */
export function frameworkErrorHandler(registry: EdgeRegistry) {
  return (_err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    for (const [k, v] of Object.entries(securityHeaders)) reply.header(k, v);
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    reply.header('x-request-id', req.id);
    const out = (registry.renderFor(req.url) ?? renderNative)(new AppError('validation.failed', 'The URL is invalid.'), req);
    for (const [k, v] of Object.entries(out.headers ?? {})) reply.header(k, v);
    reply.code(out.status).send(out.body);
  };
}

function envelope(code: string, message: string, requestId: string, details?: Array<{ path: string; message: string }>): ErrorEnvelope {
  return { error: { code, message, requestId, ...(details ? { details } : {}) } };
}

/** Fastify's own errors (validation, body size, media type) become AppErrors; anything unknown is
 * `internal` with a generic message (the cause is logged under the request id). */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const e = err as FastifyError & { validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }> };
  if (e && Array.isArray(e.validation)) {
    return new AppError('validation.failed', 'The request is invalid.', {
      details: e.validation.slice(0, 20).map((v) => ({
        path: `${(e as { validationContext?: string }).validationContext ?? 'body'}${v.instancePath ?? ''}${v.params && 'additionalProperty' in v.params ? `/${String(v.params.additionalProperty)}` : ''}`,
        // the text rules in words rather than the regular expression
        message: textPatternMessage(v.params?.pattern) ?? v.message ?? 'invalid',
      })),
    });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('request.body_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('request.unsupported_media_type', 'Send JSON with Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('request.invalid_json', 'The body is not valid JSON.');
  }
  // two writers raced for the same unique name (PostgreSQL 23505, SQLite UNIQUE constraint): a
  // conflict for the caller to retry, not a server error
  const dbCode = (err as { code?: unknown; errcode?: unknown })?.code;
  if (dbCode === '23505' || (typeof (err as Error)?.message === 'string' && /UNIQUE constraint failed/.test((err as Error).message))) {
    return new AppError('conflict', 'A conflicting change happened at the same time; retry.');
  }
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError('validation.failed', 'The request is invalid.');
  }
  return new AppError('internal', 'Internal error.', { cause: err });
}
