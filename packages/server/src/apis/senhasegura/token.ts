// POST /iso/oauth2/token: OAuth2 client credentials. client_id is a Coffer API key's id (its
// text id or its integer number), client_secret the key itself; the access token is a Coffer
// session of the key's user (the API key -> session exchange), so it expires, is revoked with the
// key, and carries the key's address binding and scopes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { fieldsOf, text } from './body.ts';
import type { Ctx } from './deps.ts';
import { tokenResponses } from './schemas.ts';

const invalidClient = () => new AppError('auth.invalid_credentials', 'Invalid client credentials.', { reason: 'oauth_invalid_client' });

/** client_id/client_secret from the body, else from HTTP Basic (RFC 6749 2.3.1 allows both). */
function clientOf(req: FastifyRequest): { id?: string; secret?: string; grant?: string } {
  const b = fieldsOf(req.body);
  let id = text(b, 'client_id', 200);
  let secret = text(b, 'client_secret', 300);
  const h = req.headers.authorization;
  if ((!id || !secret) && typeof h === 'string' && /^Basic /i.test(h)) {
    const raw = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const at = raw.indexOf(':');
    if (at > 0) {
      id = decodeURIComponent(raw.slice(0, at));
      secret = decodeURIComponent(raw.slice(at + 1));
    }
  }
  return { id, secret, grant: text(b, 'grant_type', 100) };
}

export function tokenRoutes(app: FastifyInstance, c: Ctx): void {
  app.post('/oauth2/token', {
    config: { auth: 'public', permission: 'none', action: 'auth.oauth_token' },
    schema: {
      body: {
        type: 'object',
        maxProperties: 20,
        properties: {
          grant_type: { type: 'string', maxLength: 100 },
          client_id: { type: ['string', 'number'], maxLength: 200 },
          client_secret: { type: 'string', maxLength: 300 },
          scope: { type: 'string', maxLength: 1000 },
        },
      },
      response: tokenResponses,
    },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const { id, secret, grant } = clientOf(req);
      if (grant !== undefined && grant !== 'client_credentials') {
        throw new AppError('validation.failed', 'Only grant_type=client_credentials is supported.', {
          reason: 'oauth_unsupported_grant_type',
        });
      }
      if (!id || !secret || !/^[A-Za-z0-9_-]{10,200}$/.test(secret)) throw invalidClient();
      let actor: Awaited<ReturnType<typeof c.auth.authenticate>>;
      try {
        actor = await c.auth.authenticate(secret, req.ctx.sourceIp, req.ctx.via ?? 'senhasegura');
      } catch {
        throw invalidClient();
      }
      // only an API key is a client secret, and it must be the key the client_id names
      if (actor.authMethod !== 'apikey' || !actor.apiKeyId) throw invalidClient();
      const named = /^\d+$/.test(id) ? await c.numbering.idOf(c.db, 'api_key', id) : id;
      if (named !== actor.apiKeyId) throw invalidClient();
      req.ctx.actor = actor;
      const pair = await c.auth.exchangeApiKey(req.ctx);
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
      return { access_token: pair.accessToken, token_type: 'Bearer', expires_in: pair.expiresIn };
    },
  });
}
