// Passbolt's favourites: a user's mark on a resource (the secrets service's setFavorite, audited
// secret.favorite / secret.unfavorite). A favourite's id is the number of the pair (user, secret):
// only its owner can name it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { dateOf } from './dates.ts';
import { model, ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { favoriteSchema } from './present-resource.ts';
import { readableSecret } from './resources.ts';
import { anyJson, ERRORS, envelope, itemOf } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

export function favoriteRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.post('/favorites/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.favorite' },
    schema: { response: { 200: envelope(itemOf(favoriteSchema, 'Favorite')), ...ERRORS } },
    handler: async (req: IdReq) => {
      const s = await readableSecret(c, req, req.params.id);
      const me = req.ctx.actor.userId as string;
      await c.secrets.setFavorite(req.ctx, s.id, true);
      const when = (await c.secrets.favoriteMarksAmong(c.db, me, [s.id])).get(s.id) ?? Date.now();
      const date = dateOf(req);
      const favorite = {
        id: await c.ids.uuidOf('favorite', `${me}/${s.id}`),
        user_id: await c.ids.uuidOf('user', me),
        foreign_key: await c.ids.uuidOf('secret', s.id),
        foreign_model: 'Resource',
        created: date(when),
        modified: date(when),
      };
      return ok(req, model(req, 'Favorite', favorite), 'The resource was marked as favorite.');
    },
  });

  api.delete('/favorites/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.unfavorite' },
    schema: { response: { 200: envelope(anyJson), ...ERRORS } },
    handler: async (req: IdReq) => {
      if (!ANY_UUID.test(req.params.id)) {
        throw new AppError('validation.failed', 'The favorite identifier should be a valid UUID.', {
          details: [{ path: '/id', message: 'The favorite identifier should be a valid UUID.', rule: 'uuid' }],
        });
      }
      const pair = await c.ids.idOf('favorite', req.params.id);
      const [userId, secretId] = (pair ?? '').split('/');
      const missing = () => new AppError('not_found', 'The favorite does not exist.');
      if (!pair || userId !== req.ctx.actor.userId || !secretId) throw missing();
      const r = await c.secrets.setFavorite(req.ctx, secretId, false);
      if (!r.changed) throw missing();
      return ok(req, null, 'The favorite was deleted.');
    },
  });
}
