// Check-out and check-in (POST /secrets/{id}/check-out|check-in) mapped to the native workflow:
// a check-out uses the caller's approved checkout request when the policy requires approval, and
// is refused like a native checkout otherwise (held by someone else, no approval, time window).
// The comment Secret Server sends is the workflow's reason.
import { isCleanText } from '@coffer/contracts/text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { bodyObject, textAt } from './body.ts';
import { API, type Kit, q1, queryOf } from './kit.ts';
import { responses, SecretSummary } from './schemas.ts';
import { summaryOf } from './search.ts';
import { secretIdOf } from './secrets-read.ts';

/** A comment (the workflow's reason): multi-line text of at most 500 characters, or none. */
export function commentOf(raw: string | undefined): string | undefined {
  const c = raw?.trim();
  if (!c) return undefined;
  if (c.length > 500 || !isCleanText(c)) {
    throw new AppError('validation.failed', 'The comment must be text of at most 500 characters without control characters.', {
      details: [{ path: '/comment', message: 'invalid' }],
    });
  }
  return c;
}

/** The comment of a request: the body's `comment`, else the query's `autoComment` or `comment`. */
export function requestComment(req: FastifyRequest): string | undefined {
  const q = queryOf(req);
  const fromBody = req.method === 'GET' ? undefined : textAt(bodyObject(req.body), 'comment', 4000);
  return commentOf(fromBody ?? q1(q, 'autoComment') ?? q1(q, 'comment'));
}

/** Checks the secret out for the caller unless they hold it already (or the policy has no checkout). */
export async function checkoutFor(kit: Kit, ctx: RequestContext, secretId: string, reason: string | undefined, always: boolean) {
  const { workflow } = kit.deps;
  const flags = (await workflow.secretFlags(ctx, [secretId])).get(secretId);
  if (!flags) return;
  if (flags.checkout?.holderId === ctx.actor.userId) return;
  if (!always && !flags.checkoutExclusive) return;
  // the caller's approved checkout request for this secret, if there is one
  const { items } = await workflow.listRequests(ctx, { scope: 'mine', secretId, state: 'approved', limit: 20 });
  const approved = items.find((r) => r.action === 'checkout');
  await workflow.checkout(ctx, secretId, { ...(approved ? { requestId: approved.id } : {}), ...(reason ? { reason } : {}) });
}

export function checkoutRoutes(api: FastifyInstance, kit: Kit): void {
  const { deps } = kit;

  kit.route(
    api,
    'POST',
    `${API}/secrets/:id/check-out`,
    { action: 'ss.secret.check_out', response: responses(SecretSummary) },
    async (req) => {
      const id = await secretIdOf(kit, req);
      await checkoutFor(kit, req.ctx, id, requestComment(req), true);
      return summaryOf(kit, req.ctx, id);
    },
  );

  kit.route(
    api,
    'POST',
    `${API}/secrets/:id/check-in`,
    { action: 'ss.secret.check_in', response: responses(SecretSummary) },
    async (req) => {
      const id = await secretIdOf(kit, req);
      const reason = requestComment(req);
      await deps.workflow.checkin(req.ctx, id, reason ? { reason } : {});
      return summaryOf(kit, req.ctx, id);
    },
  );
}
