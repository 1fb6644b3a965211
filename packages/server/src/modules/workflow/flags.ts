// What a compatibility API shows of the workflow of secrets it lists or reads (Secret Server's
// requiresComment, requiresApprovalForAccess, checkOutEnabled, checkedOut, ...): the effective
// policy of each secret and its live checkout, for the secrets the caller can list.
import type { Executor } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { PolicyNode } from '../vaults/policy-chain.ts';
import type { Core } from './core.ts';
import { mergePolicies, type WorkflowPolicy, workflowPolicy } from './policy.ts';

export interface SecretFlags {
  requireReason: boolean;
  approvalRequired: boolean;
  checkoutExclusive: boolean;
  maxMinutes: number;
  rotateOnCheckin: boolean;
  /** The live checkout, if any (whoever holds it). */
  checkout: { holderId: string; holderName: string | null; endsAt: number } | null;
}

/** The flags of a merged policy (no checkout state). */
export function flagsOfPolicy(p: WorkflowPolicy): Omit<SecretFlags, 'checkout'> {
  return {
    requireReason: p.requireReason.value,
    approvalRequired: p.approval.required.value,
    checkoutExclusive: p.checkout.exclusive.value,
    maxMinutes: p.checkout.maxMinutes.value,
    rotateOnCheckin: p.checkout.rotateOnCheckin.value,
  };
}

/** The flags of a policy chain a caller already read (revealCard's): pure, no query. */
export function flagsOfChain(chain: PolicyNode[]): Omit<SecretFlags, 'checkout'> {
  return flagsOfPolicy(mergePolicies(chain));
}

const MAX_IDS = 5000;

export function createFlags(core: Core) {
  const { deps } = core;
  const { clock, access, audited } = deps;

  async function liveCheckouts(exec: Executor, ids: string[], now: number) {
    const out = new Map<string, SecretFlags['checkout']>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await exec
        .selectFrom('checkouts as c')
        .leftJoin('users as u', 'u.id', 'c.holder_id')
        .select(['c.secret_id', 'c.holder_id', 'c.ends_at', 'u.username as holder_name'])
        .where('c.secret_id', 'in', ids.slice(i, i + 500))
        .where('c.active', '=', 1)
        .where('c.ends_at', '>', now)
        .execute();
      for (const r of rows) out.set(r.secret_id, { holderId: r.holder_id, holderName: r.holder_name ?? null, endsAt: Number(r.ends_at) });
    }
    return out;
  }

  /**
   * The workflow flags of these secrets, for those the caller can list (others are left out, as
   * if they did not exist). One audit record; one policy read per distinct folder, one query for
   * the checkouts.
   */
  async function secretFlags(ctx: RequestContext, secretIds: string[]): Promise<Map<string, SecretFlags>> {
    return audited(ctx, { action: 'secret.flags', objectType: 'secret', readOnly: true }, async (exec, ev) => {
      requireUser(ctx.actor);
      const ids = [...new Set(secretIds)];
      if (ids.length > MAX_IDS) throw new AppError('validation.failed', `At most ${MAX_IDS} secrets at once.`);
      const out = new Map<string, SecretFlags>();
      if (ids.length === 0) return out;
      const principals = await access.principalsOf(exec, ctx.actor);
      if (!principals) throw new AppError('auth.required', 'Authentication is required.');
      const rows: Array<{ id: string; parent_node_id: string }> = [];
      for (let i = 0; i < ids.length; i += 500) {
        rows.push(
          ...(await exec
            .selectFrom('secrets as s')
            .select(['s.id', 's.parent_node_id'])
            .where('s.id', 'in', ids.slice(i, i + 500))
            .where('s.deleted_at', 'is', null)
            .where(access.secretVisible(ctx.actor, principals, 'list', { correlated: true }))
            .execute()),
        );
      }
      const policies = new Map<string, Omit<SecretFlags, 'checkout'>>();
      for (const parent of new Set(rows.map((r) => r.parent_node_id))) {
        policies.set(parent, flagsOfPolicy(await workflowPolicy(exec, parent)));
      }
      const checkouts = await liveCheckouts(
        exec,
        rows.map((r) => r.id),
        clock.now(),
      );
      for (const r of rows) {
        out.set(r.id, { ...(policies.get(r.parent_node_id) as Omit<SecretFlags, 'checkout'>), checkout: checkouts.get(r.id) ?? null });
      }
      ev.details = { count: out.size };
      return out;
    });
  }

  return { secretFlags };
}
