import { UserLookupQuery, UserRef } from '@coffer/contracts/identities';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { UserLookupService } from './user-lookup.service.ts';

export function userLookupRoutes(fastify: FastifyInstance, deps: { userLookup: UserLookupService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/v1/users/lookup', {
    config: { auth: 'user', permission: 'self', action: 'user.lookup' },
    schema: {
      tags: ['users'],
      summary: 'Find an active user by exact username, to share with (any signed-in user; rate-limited)',
      querystring: UserLookupQuery,
      response: { 200: UserRef },
    },
    handler: async (req) => deps.userLookup.lookup(req.ctx, req.query.username),
  });
}
