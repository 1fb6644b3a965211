// The reveal gate (approval, exclusive checkout, time window) and the effective access policy.
import type { Executor } from '../../db/database.ts';
import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { PolicyNode } from '../vaults/policy-chain.ts';
import { approvalRequiredError, type Core, checkedOutError } from './core.ts';
import { gatesReveal, inWindow, workflowPolicy } from './policy.ts';

/** What lets the caller reveal: their live checkout or approved reveal request, and its reason. */
export interface RevealGrant {
  /** The checkout (cko_…) or access request (arq_…). */
  from: string;
  reason: string | null;
}

export function createGate(core: Core) {
  const { deps, isExemptOwner, checkWindow, liveCheckout } = core;
  const { clock, access, audited } = deps;

  async function approvedRevealRequest(exec: Executor, secretId: string, me: string, now: number) {
    return exec
      .selectFrom('access_requests')
      .select(['id', 'reason'])
      .where('secret_id', '=', secretId)
      .where('requester_id', '=', me)
      .where('action', '=', 'reveal')
      .where('state', '=', 'approved')
      .where('start_at', '<=', now)
      .where('end_at', '>', now)
      .orderBy('start_at')
      .executeTakeFirst();
  }

  /**
   * Throws when the caller may not reveal the secret now: outside the time window; exclusively
   * checked out by someone else (409 with holder and end, unless the policy allows shared read);
   * approval required and the caller holds neither a live checkout nor an approved reveal request
   * whose window is open (403 `secret.approval_required`). Owners (manage) bypass approval and
   * window unless the policy says ownersToo. Costs one query when the policy gates nothing.
   *
   * Returns the caller's own checkout or approved request when it found one, with its reason;
   * `wantReason` makes it look for one also where the policy would not need it (a reveal that must
   * give a reason and gave none takes the reason of the access the caller already holds).
   */
  async function revealGate(
    trx: Executor,
    ctx: RequestContext,
    secret: { id: string; parent_node_id: string },
    chain?: PolicyNode[],
    opts: { wantReason?: boolean } = {},
  ): Promise<RevealGrant | undefined> {
    const policy = await workflowPolicy(trx, secret.parent_node_id, chain);
    if (!gatesReveal(policy) && !opts.wantReason) return undefined;
    const now = clock.now();
    const me = ctx.actor.userId;
    const needsLevel = policy.timeWindow !== null || policy.approval.required.value;
    const level = needsLevel ? await access.secretLevel(trx, ctx.actor, secret) : 0;
    checkWindow(policy, level, now);
    const live = await liveCheckout(trx, secret.id, now);
    if (live && live.holder_id !== me && policy.checkout.exclusive.value && !policy.checkout.sharedRead.value) {
      throw checkedOutError(live.holder_name, live.holder_id, live.ends_at);
    }
    const mine = live && live.holder_id === me ? { from: live.id, reason: live.reason } : undefined;
    const needsApproval = policy.approval.required.value && !isExemptOwner(policy, level);
    if (!needsApproval && !opts.wantReason) return mine;
    if (mine) return mine;
    const approved = me ? await approvedRevealRequest(trx, secret.id, me, now) : undefined;
    if (approved) return { from: approved.id, reason: approved.reason };
    if (needsApproval) throw approvalRequiredError('reveal');
    return undefined;
  }

  async function accessPolicy(ctx: RequestContext, secretId: string) {
    return audited(ctx, { action: 'secret.access_policy', objectType: 'secret', objectId: secretId, readOnly: true }, async (trx) => {
      const { s, level } = await deps.secrets.load(trx, ctx, secretId, 'view');
      const p = await workflowPolicy(trx, s.parent_node_id);
      const exempt = isExemptOwner(p, level);
      return {
        secretId: s.id,
        requireReason: p.requireReason,
        approval: p.approval,
        checkout: p.checkout,
        timeWindow: p.timeWindow,
        chain: p.chain,
        you: {
          owner: level >= levelRank.manage,
          needsApproval: p.approval.required.value && !exempt,
          inWindow: exempt || inWindow(p.timeWindow, clock.now()),
        },
      };
    });
  }

  return { revealGate, accessPolicy };
}
