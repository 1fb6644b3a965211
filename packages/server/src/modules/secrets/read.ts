// Reading one secret: its metadata (no values) and the effective access policy it is under.

import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { Core } from './core.ts';
import { present } from './secrets.presenter.ts';

export function createRead(core: Core) {
  const { deps, load, effectivePolicy } = core;
  const { audited } = deps;

  async function get(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.read', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      const { s, level, viaTree } = await load(trx, ctx, id, 'view');
      return present(trx, s, level, viaTree < levelRank.list);
    });
  }

  async function policyOf(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.policy', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      const { s } = await load(trx, ctx, id, 'view');
      const p = await effectivePolicy(trx, s.parent_node_id);
      return { requireReason: p.requireReason ?? false, source: p.source };
    });
  }

  return { get, policyOf };
}
