// A reveal that also answers the secret's metadata: what a compatibility API that returns a whole
// credential (senhasegura's GET /iso/pam/credential/{id}) reads, in ONE audited reveal. Same checks
// as reveal.ts (level `reveal`, policy reason, workflow gate); the audit record is `secret.reveal`.
import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { Core } from './core.ts';
import type { createReveal } from './reveal.ts';
import { present } from './secrets.presenter.ts';

export function createRevealCard(core: Core, gateWithReason: ReturnType<typeof createReveal>['gateWithReason']) {
  const { deps, loadValues, load, effectivePolicy } = core;

  async function revealCard(ctx: RequestContext, id: string, input: { reason?: string }) {
    return deps.audited(
      ctx,
      { action: 'secret.reveal', objectType: 'secret', objectId: id, reason: input.reason ?? null, readOnly: true },
      async (trx, ev) => {
        const { s, level, viaTree } = await load(trx, ctx, id, 'reveal');
        const policy = await effectivePolicy(trx, s.parent_node_id);
        const reasonFrom = await gateWithReason(trx, ctx, s, policy, input.reason, ev);
        const values = (await loadValues(trx, s)).sensitive;
        ev.details = { fields: Object.keys(values), version: s.version, ...reasonFrom };
        const secret = await present(trx, s, level, viaTree < levelRank.list);
        return { secret, values };
      },
    );
  }

  return { revealCard };
}
