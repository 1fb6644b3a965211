// DELETE /pam/credential/custody/{ref}: release the caller's custody of a credential (senhasegura's
// account check-in after a read; its A2A clients call it after every read). In Coffer a read takes
// custody only under a checkout policy: the caller's active checkout is checked in (the native
// workflow: audit, rotation on checkin). A credential nobody holds has nothing to release: 200, as
// the read-then-release clients expect. One held by someone else is 400 1018, as senhasegura answers.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { refParams } from './credentials-read.ts';
import type { Ctx } from './deps.ts';
import { ok } from './envelope.ts';
import { resolveCredentialNumbered } from './resolve.ts';
import { plainResponses } from './schemas.ts';

/** `base`: '/pam' under /iso, '' under /api/pam. */
export function custodyRoutes(app: FastifyInstance, c: Ctx, base: string): void {
  app.delete(`${base}/credential/custody/:ref`, {
    config: { auth: 'user', permission: 'self', action: 'senhasegura.credential.custody_release' },
    schema: { params: refParams, response: plainResponses },
    handler: async (req) => {
      const { ref } = req.params as { ref: string };
      const { id, num: given } = await resolveCredentialNumbered(c, req.ctx, ref);
      await c.secrets.get(req.ctx, id); // a credential the caller may not see answers like a missing one
      const held = (await c.workflow.listCheckouts(req.ctx, { scope: 'visible', secretId: id })).items;
      if (held.some((co) => co.holderId === req.ctx.actor?.userId)) await c.workflow.checkin(req.ctx, id, {});
      else if (held.length > 0) {
        throw new AppError('conflict', 'The credential is not in the user custody', { reason: 'not_in_custody' });
      }
      const num = given ?? (await c.numbering.numberOf(c.db, 'secret', id));
      return ok(200, `Credential custody ${num} released`);
    },
  });
}
