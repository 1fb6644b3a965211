import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenKind } from '../crypto/tokens.ts';
import type { Db } from '../db/database.ts';
import { AppError, isAppError } from '../lib/app-error.ts';
import type { AuditLog } from '../modules/audit/audit-log.ts';
import { outcomeOf } from '../modules/audit/audit-log.ts';
import { appendFailureRecords } from '../modules/audit/integrity.ts';
import type { Actor, RequestContext, Via } from '../modules/auth/actor.ts';
import type { CredentialExposure } from '../modules/auth/credential-exposure.ts';
import { findExposure } from '../modules/auth/credential-exposure.ts';
import type { CredentialRateLimit } from '../modules/auth/credential-rate-limit.ts';
import type { SealManager } from '../modules/sys/seal.ts';
import { errorStatus } from './errors.ts';
import { type EdgeRegistry, toAppError } from './hooks.ts';
import { hasNul } from './json-body.ts';

export type { Via };

/**
 * One way of proving who is calling (a bearer token, PMP's AUTHTOKEN, ...). Every authenticator
 * resolves to the same `Actor` through the auth service, so what follows (authorization, workflow
 * gate, audit) cannot tell which API was used except by `ctx.via`.
 */
export interface Authenticator {
  name: string;
  /**
   * This scheme's credential from the request -> Actor; undefined when the request carries none of
   * it. A present but bad credential throws (auth.invalid_token / auth.required).
   */
  authenticate(req: FastifyRequest, ctx: RequestContext): Promise<Actor | undefined>;
}

/** The product's answer to an error. */
export interface RenderedError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * An API surface: its own prefix, authenticators, body parsers, error envelope and routes, in an
 * encapsulated Fastify context — nothing of one reaches another (ADR 0015).
 */
export interface Surface {
  via: Via;
  /** '' for the native API (its routes carry /api/v1 themselves); else e.g. '/restapi/json/v1'. */
  prefix: string;
  /** Tried in order for routes with `auth: 'user'`; the first Actor wins; none -> auth.required. */
  authenticators: Authenticator[];
  /** The message of auth.required when no authenticator found its credential (default: the bearer header). */
  missingCredential?: string;
  /** The product's status and body for an error (`err.reason` may carry a typed sub-code). */
  renderError(err: AppError, req: FastifyRequest): RenderedError;
  /** Content-type parsers of this surface only (none by default: a body is refused with 415). */
  parsers?(instance: FastifyInstance): void;
  /** Registers the routes, paths relative to `prefix`. */
  routes(instance: FastifyInstance): void | Promise<void>;
  /** Hidden from the native OpenAPI document unless false (the native surface shows its routes). */
  hidden?: boolean;
  /**
   * Checks of the request itself, on every route of the surface (public ones too), after the
   * sealed gate and before authentication: e.g. the web UI's proof that its own script sent the
   * request (ADR 0017). Throws to refuse.
   */
  guard?(req: FastifyRequest): void;
}

export interface EdgeDeps {
  db: Db;
  seal: SealManager;
  audit: AuditLog;
  /** Revokes a credential seen in a query string (modules/auth/credential-exposure.ts). */
  exposure: CredentialExposure;
  /** The per-credential request budget (modules/auth/credential-rate-limit.ts). */
  rateLimit: CredentialRateLimit;
  registry: EdgeRegistry;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error renderer of the surface that took the request (set in its onRequest hook). */
    surfaceRender?: (err: AppError, req: FastifyRequest) => RenderedError;
  }
}

/**
 * Registers an API surface. In its context, for each request: the request context (with `via`),
 * the credentials-in-query refusal (unless the route accepts them), NUL checks, the sealed gate,
 * authentication by the surface's authenticators, the per-credential budget and the forced
 * password change; on an error the failure is audited (fail closed) and the product's envelope
 * answers. Unknown paths under a non-empty prefix answer `not_found` in that envelope.
 */
export async function registerSurface(app: FastifyInstance, edge: EdgeDeps, surface: Surface): Promise<void> {
  const render = surface.renderError;
  if (surface.prefix) edge.registry.add(surface.prefix, render);
  await app.register(
    async (api) => {
      if (surface.parsers) {
        api.removeAllContentTypeParsers();
        surface.parsers(api);
      } else if (surface.via !== 'native') {
        api.removeAllContentTypeParsers();
      }
      if (surface.hidden !== false) {
        api.addHook('onRoute', (route) => {
          route.schema = { ...(route.schema ?? {}), hide: true };
        });
      }

      api.addHook('onRequest', async (req) => {
        req.ctx.via = surface.via;
        req.surfaceRender = render;
        const cfg = req.routeOptions.config;
        if (!cfg.auth) return; // unmatched route: the not-found handler answers
        const q = req.query as Record<string, unknown> | undefined;
        // a credential in a URL is refused, and a real one is revoked on the spot (it is in logs now);
        // where a product's documented API sends its token in the query, only an API key may come
        // there (a session, refresh or MFA token is still refused and revoked)
        const exposed = findExposure(q);
        const burnt =
          exposed && cfg.credentialsInQuery === 'accepted' ? exposed.tokens.filter((t) => tokenKind(t) !== 'apikey') : exposed?.tokens;
        if (exposed && (cfg.credentialsInQuery !== 'accepted' || (burnt?.length ?? 0) > 0)) {
          await edge.exposure.revoke(req.ctx, burnt ?? []);
          throw new AppError(
            'request.credentials_in_query',
            'Credentials in the URL are refused (and a Coffer token found there is revoked); use the Authorization header or the body.',
          );
        }
        if (hasNul(q) || hasNul(req.params)) throw new AppError('validation.failed', 'Text with NUL characters is refused.');
        if (!cfg.whileSealed && !edge.seal.keys) {
          const s = await edge.seal.status();
          throw s.initialized
            ? new AppError('sys.sealed', 'Coffer is sealed.')
            : new AppError('sys.not_initialized', 'Coffer is not initialised.');
        }
        surface.guard?.(req);
        if (cfg.auth !== 'user') return;
        let actor: Actor | undefined;
        for (const a of surface.authenticators) {
          actor = await a.authenticate(req, req.ctx);
          if (actor) break;
        }
        if (!actor)
          throw new AppError(
            'auth.required',
            surface.missingCredential ?? 'Authentication is required: send Authorization: Bearer <token>.',
          );
        req.ctx.actor = actor;
        edge.rateLimit.check(actor);
        // here, not in each route: a route added later cannot forget it
        if (actor.mustChangePassword && !cfg.duringPasswordChange) {
          throw new AppError(
            'auth.password_change_required',
            'Your password was set by an administrator: change it first (POST /api/v1/me/password with currentPassword and newPassword).',
          );
        }
      });

      api.setErrorHandler(async (err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
        const final = await auditedFailure(edge, req, err);
        const out = render(final, req);
        if (final.retryAfter !== undefined) reply.header('retry-after', String(final.retryAfter));
        for (const [k, v] of Object.entries(out.headers ?? {})) reply.header(k, v);
        return reply.code(out.status).send(out.body);
      });

      if (surface.prefix) {
        api.setNotFoundHandler(async (req, reply) => {
          req.ctx.via = surface.via;
          const out = render(new AppError('not_found', 'No such route.', { reason: 'route' }), req);
          for (const [k, v] of Object.entries(out.headers ?? {})) reply.header(k, v);
          return reply.code(out.status).send(out.body);
        });
      }
      await surface.routes(api);
    },
    surface.prefix ? { prefix: surface.prefix } : {},
  );
}

/**
 * The failure of a request, audited unless a service already wrote its record (fail closed: when
 * no record can be written the answer is audit.unavailable), and logged by severity.
 */
export async function auditedFailure(
  deps: Pick<EdgeDeps, 'db' | 'audit'>,
  req: FastifyRequest,
  err: FastifyError | AppError | Error,
): Promise<AppError> {
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
  return final;
}
