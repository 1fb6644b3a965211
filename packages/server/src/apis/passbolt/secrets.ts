// Passbolt's secret of a resource: the caller's own OpenPGP message, through the same reveal use
// case as natively (the same gate: a reason the policy needs, an approval, an exclusive checkout;
// the same `secret.reveal` audit record, via passbolt). Its id is the message row's number.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dateOf } from './dates.ts';
import { model, ok } from './envelope.ts';
import { notFoundResource } from './place.ts';
import { secretObject, secretSchema } from './present-resource.ts';
import { readableSecret } from './resources.ts';
import { ERRORS, envelope, itemOf } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

export function secretRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.get('/secrets/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.reveal' },
    schema: { response: { 200: envelope(itemOf(secretSchema, 'Secret')), ...ERRORS } },
    handler: async (req: FastifyRequest<{ Params: { id: string } }>) => {
      // an E2E secret the caller may read; anything else answers as a missing resource
      const s = await readableSecret(c, req, req.params.id);
      const r = await c.secrets.reveal(req.ctx, s.id, {});
      if (!r.e2e) throw notFoundResource();
      const secret = secretObject(dateOf(req), {
        id: await c.ids.uuidOf('secret_message', r.e2e.messageId),
        userUuid: await c.ids.uuidOf('user', req.ctx.actor.userId as string),
        resourceUuid: req.params.id.toLowerCase(),
        data: r.e2e.message,
        created: r.e2e.messageCreatedAt,
        modified: r.e2e.messageUpdatedAt,
      });
      return ok(req, model(req, 'Secret', secret));
    },
  });
}
