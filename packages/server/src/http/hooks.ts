import type { ErrorEnvelope } from '@coffer/contracts/errors';
import { textPatternMessage } from '@coffer/contracts/text';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { AppError, isAppError } from '../lib/app-error.ts';
import { normalizeIp } from '../lib/cidr.ts';
import { poolBytes } from '../lib/random-pool.ts';
import type { AuditLog } from '../modules/audit/audit-log.ts';
import { outcomeOf } from '../modules/audit/audit-log.ts';
import { appendFailureRecords } from '../modules/audit/integrity.ts';
import { anonymousActor, type RequestContext } from '../modules/auth/actor.ts';
import type { AuthService } from '../modules/auth/auth.service.ts';
import { type CredentialExposure, findExposure } from '../modules/auth/credential-exposure.ts';
import type { CredentialRateLimit } from '../modules/auth/credential-rate-limit.ts';
import type { SealManager } from '../modules/sys/seal.ts';
import { errorStatus } from './errors.ts';
import { hasNul, parseJsonBody } from './json-body.ts';

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

export function registerHooks(
  app: FastifyInstance,
  deps: {
    db: Db;
    seal: SealManager;
    auth: AuthService;
    audit: AuditLog;
    tls: boolean;
    /** Revokes a credential seen in a query string (modules/auth/credential-exposure.ts). */
    exposure: CredentialExposure;
    /** The per-credential request budget (modules/auth/credential-rate-limit.ts). */
    rateLimit: CredentialRateLimit;
  },
): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/jsonl'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    req.ctx = { actor: anonymousActor, requestId: req.id, sourceIp: normalizeIp(req.ip), audited: false };
    const cfg = req.routeOptions.config;
    if (!cfg.auth) return; // unmatched route: the not-found handler answers
    const q = req.query as Record<string, unknown> | undefined;
    // a credential in a URL is refused, and a real one is revoked on the spot (it is in logs now)
    const exposed = cfg.credentialsInQuery === 'accepted' ? undefined : findExposure(q);
    if (exposed) {
      await deps.exposure.revoke(req.ctx, exposed.tokens);
      throw new AppError(
        'request.credentials_in_query',
        'Credentials in the URL are refused (and a Coffer token found there is revoked); use the Authorization header or the body.',
      );
    }
    if (hasNul(q) || hasNul(req.params)) throw new AppError('validation.failed', 'Text with NUL characters is refused.');
    if (!cfg.whileSealed && !deps.seal.keys) {
      const s = await deps.seal.status();
      throw s.initialized
        ? new AppError('sys.sealed', 'Coffer is sealed.')
        : new AppError('sys.not_initialized', 'Coffer is not initialised.');
    }
    if (cfg.auth === 'user') {
      const h = req.headers.authorization;
      const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(h) : null;
      if (!m) throw new AppError('auth.required', 'Authentication is required: send Authorization: Bearer <token>.');
      req.ctx.actor = await deps.auth.authenticate(m[1] as string, req.ctx.sourceIp);
      deps.rateLimit.check(req.ctx.actor);
      // here, not in each route: a route added later cannot forget it
      if (req.ctx.actor.mustChangePassword && !cfg.duringPasswordChange) {
        throw new AppError(
          'auth.password_change_required',
          'Your password was set by an administrator: change it first (POST /api/v1/me/password with currentPassword and newPassword).',
        );
      }
    }
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
      reply.code(503).header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(envelope('audit.unavailable', 'The audit trail could not be written; nothing was done.', req.id));
    }
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(securityHeaders)) if (!reply.hasHeader(k)) reply.header(k, v);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    if (deps.tls) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });

  app.setNotFoundHandler(async (req, reply) => {
    const ctx = req.ctx ?? { requestId: req.id };
    return reply.code(404).send(envelope('not_found', 'No such route.', ctx.requestId));
  });

  app.setErrorHandler(async (err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const appErr = toAppError(err);
    const status = errorStatus[appErr.code];
    const ctx = req.ctx;
    let final = appErr;
    const cfg = req.routeOptions?.config ?? {};
    if (ctx && !ctx.audited && cfg.action && cfg.audit !== false) {
      try {
        await appendFailureRecords(deps, ctx, { action: cfg.action as string, outcome: outcomeOf(appErr), reason: appErr.code }, appErr);
      } catch (auditErr) {
        req.log.error({ err: auditErr }, 'audit write failed');
        final = new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.');
      }
    }
    const finalStatus = errorStatus[final.code];
    if (finalStatus >= 500) {
      req.log.error({ err: isAppError(err) && err.cause ? err.cause : err, code: final.code }, 'request failed');
    } else if (status >= 500) {
      req.log.warn({ code: appErr.code }, 'request refused');
    }
    if (final.retryAfter !== undefined) reply.header('retry-after', String(final.retryAfter));
    if (final.code === 'auth.required' || final.code === 'auth.invalid_token') reply.header('www-authenticate', 'Bearer');
    const message = finalStatus >= 500 && final.code === 'internal' ? 'Internal error.' : final.message;
    return reply.code(finalStatus).send(envelope(final.code, message, req.id, final.details));
  });
}

/**
 * Fastify's own URL errors (a malformed percent-encoding, a path parameter longer than
 * maxParamLength) answer with the envelope and the usual headers too (no route hooks run for them).
 */
export function frameworkErrorHandler(_err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  for (const [k, v] of Object.entries(securityHeaders)) reply.header(k, v);
  reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  reply.header('x-request-id', req.id);
  reply.code(400).send(envelope('validation.failed', 'The URL is invalid.', req.id));
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
