// Reading one secret: its metadata (no values) and the effective access policy it is under.

import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import { SECRET_KIND } from '../e2e/master-password.ts';
import type { Core } from './core.ts';
import { createE2e } from './e2e.ts';
import { present } from './secrets.presenter.ts';

export function createRead(core: Core) {
  const { deps, load, effectivePolicy } = core;
  const { audited } = deps;
  const e2e = createE2e(core);

  async function get(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.read', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      const { s, level, viaTree } = await load(trx, ctx, id, 'view');
      const out = await present(trx, s, level, viaTree < levelRank.list);
      return s.e2e === SECRET_KIND.openpgp ? { ...out, rotationRequired: await e2e.isRotationRequired(trx, s) } : out;
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
