// Passbolt's secret of a resource: the caller's own OpenPGP message, through the same reveal use
// case as natively (the same gate: a reason the policy needs, an approval, an exclusive checkout;
// the same `secret.reveal` audit record, via passbolt). Its id is the message row's number.
// One audited reveal and nothing else on this hot path: the use case's own checks decide what
// Passbolt answers as a missing resource (unknown, hidden, not end-to-end encrypted, below reveal,
// no message for the caller).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { dateOf } from './dates.ts';
import { model, ok } from './envelope.ts';
import { notFoundResource } from './place.ts';
import { secretObject, secretSchema } from './present-resource.ts';
import { ERRORS, envelope, itemOf } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

/** What reads as a missing resource here: unknown or hidden, below reveal, no message for the caller. */
const HIDDEN = new Set(['not_found', 'forbidden', 'secret.e2e_no_message']);

export function secretRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.get('/secrets/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'secret.reveal' },
    schema: { response: { 200: envelope(itemOf(secretSchema, 'Secret')), ...ERRORS } },
    handler: async (req: FastifyRequest<{ Params: { id: string } }>) => {
      const id = await c.ids.require('secret', req.params.id);
      let r: Awaited<ReturnType<PassboltContext['secrets']['revealMessage']>>;
      try {
        r = await c.secrets.revealMessage(req.ctx, id);
      } catch (e) {
        if (e instanceof AppError && HIDDEN.has(e.code)) throw notFoundResource();
        throw e;
      }
      const secret = secretObject(dateOf(req), {
        id: await c.ids.uuidOf('secret_message', r.messageId),
        userUuid: await c.ids.uuidOf('user', req.ctx.actor.userId as string),
        resourceUuid: req.params.id.toLowerCase(),
        data: r.message,
        created: r.messageCreatedAt,
        modified: r.messageUpdatedAt,
      });
      return ok(req, model(req, 'Secret', secret));
    },
  });
}
