// Routes of OpenPGP keys (ADR 0022): the server's public key (anyone), the caller's own key, and
// another user's key found by exact username. The readers and re-encryption of E2E secrets are
// secrets routes (secrets.routes.ts).
import { OpenpgpKey, OpenpgpKeyQuery, RegisterOpenpgpKey, ServerOpenpgpKey } from '@coffer/contracts/e2e';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import { serverPublicKey } from '../sys/openpgp-server-key.ts';
import type { UserKeysService } from './user-keys.ts';

export function e2eRoutes(fastify: FastifyInstance, deps: { userKeys: UserKeysService; db: Db }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openpgp'];
  app.get('/api/v1/sys/openpgp-key', {
    config: { auth: 'public', permission: 'none', action: 'sys.openpgp_key', audit: false },
    schema: { tags, summary: "The server's OpenPGP public key and fingerprint", response: { 200: ServerOpenpgpKey } },
    handler: async () => {
      const k = await serverPublicKey(deps.db);
      if (!k) throw new AppError('not_found', 'The server has no OpenPGP key yet (it is made at the first unseal).');
      return { armoredKey: k.armoredKey, fingerprint: k.fingerprint, keyId: k.keyId, keyCreated: new Date(k.created).toISOString() };
    },
  });
  app.put('/api/v1/me/openpgp-key', {
    config: { auth: 'user', permission: 'self', action: 'user.openpgp_key_set' },
    schema: {
      tags,
      summary: 'Register or replace your OpenPGP public key (its user id must carry your e-mail address)',
      body: RegisterOpenpgpKey,
      response: { 200: OpenpgpKey },
    },
    handler: async (req) => deps.userKeys.register(req.ctx, req.body.armoredKey),
  });
  app.get('/api/v1/me/openpgp-key', {
    config: { auth: 'user', permission: 'self', action: 'user.openpgp_key_read' },
    schema: { tags, summary: 'Your registered OpenPGP public key', response: { 200: OpenpgpKey } },
    handler: async (req) => deps.userKeys.mine(req.ctx),
  });
  app.get('/api/v1/users/openpgp-key', {
    config: { auth: 'user', permission: 'self', action: 'user.openpgp_key_read' },
    schema: {
      operationId: 'userOpenpgpKeyByUsername',
      tags,
      summary: "An active user's OpenPGP public key, by exact username (as a user lookup: any signed-in user, rate-limited)",
      querystring: OpenpgpKeyQuery,
      response: { 200: OpenpgpKey },
    },
    handler: async (req) => deps.userKeys.byUsername(req.ctx, req.query.username),
  });
}
