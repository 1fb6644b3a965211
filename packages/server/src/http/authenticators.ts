import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.ts';
import type { AuthService } from '../modules/auth/auth.service.ts';
import type { Authenticator } from './surface.ts';

/** Tokens Coffer issues: session, refresh and API key tokens are base64url, 10-200 characters. */
const TOKEN = /^[A-Za-z0-9_-]{10,200}$/;

/** `Authorization: Bearer <session token or API key>` (the native API's scheme). */
export function bearerAuthenticator(auth: Pick<AuthService, 'authenticate'>): Authenticator {
  return {
    name: 'bearer',
    async authenticate(req, ctx) {
      const h = req.headers.authorization;
      if (h === undefined) return undefined;
      const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(h) : null;
      if (!m) throw new AppError('auth.required', 'Authentication is required: send Authorization: Bearer <token>.');
      return auth.authenticate(m[1] as string, ctx.sourceIp, ctx.via ?? 'native');
    },
  };
}

/**
 * A token in a named header (any case) or, only on routes that declare `credentialsInQuery:
 * 'accepted'` (a product whose documented API sends it there), in a query parameter. Surrounding
 * white space is trimmed (a token read from a file often ends with a newline). The query string
 * never reaches a log line (the request serializer logs the path only).
 */
export function headerOrQueryTokenAuthenticator(
  auth: Pick<AuthService, 'authenticate'>,
  opts: { name: string; header: string; query?: string },
): Authenticator {
  const header = opts.header.toLowerCase();
  return {
    name: opts.name,
    async authenticate(req: FastifyRequest, ctx) {
      let raw: unknown = req.headers[header];
      if (raw === undefined && opts.query && req.routeOptions.config.credentialsInQuery === 'accepted') {
        raw = queryValue(req.query, opts.query);
      }
      if (raw === undefined) return undefined;
      const token = (Array.isArray(raw) ? raw[0] : raw)?.toString().trim() ?? '';
      if (!TOKEN.test(token)) throw new AppError('auth.invalid_token', 'The token is invalid or expired.', { reason: 'malformed' });
      return auth.authenticate(token, ctx.sourceIp, ctx.via ?? 'native');
    },
  };
}

/** A query parameter by name, without regard to case (clients differ: AUTHTOKEN, authtoken). */
function queryValue(query: unknown, name: string): unknown {
  if (!query || typeof query !== 'object') return undefined;
  const q = query as Record<string, unknown>;
  if (name in q) return q[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(q)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
