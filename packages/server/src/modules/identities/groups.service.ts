import type { PendingApproval } from '@coffer/contracts/admin-requests';
import type { Group } from '@coffer/contracts/identities';
import type { Executor, Trx } from '../../db/database.ts';
import type { GroupTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { callMode, type DualControl, type GateMode } from '../admin-requests/dual-control.ts';
import type { AuditedEv, createAudited } from '../audit/audit-log.ts';
import { authorize, type RequestContext } from '../auth/actor.ts';
import { canonicalUsername } from './username.ts';

const notFound = () => new AppError('not_found', 'No such group.');

async function present(db: Executor, g: GroupTable): Promise<Group> {
  const members = await db.selectFrom('group_members').select('user_id').where('group_id', '=', g.id).orderBy('user_id').execute();
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    members: members.map((m) => m.user_id),
    createdAt: new Date(Number(g.created_at)).toISOString(),
  };
}

/**
 * Groups of users; names are unique (canonical). Adding a member to a group that holds a grant
 * gives them what the group reaches, and to a group named as an approver the power to approve
 * access requests: while dual control applies either becomes an admin request
 * (admin-requests/gated-operations.ts), whoever the member is.
 */
export function createGroupsService(deps: {
  clock: Clock;
  audited: ReturnType<typeof createAudited>;
  dualControl: DualControl;
  /**
   * Is the group named as an approver: by a vault or folder policy, or by an access request still
   * waiting for approval? Answered by the modules owning those tables (vaults/, workflow/).
   */
  approverGroup: (exec: Executor, groupId: string) => Promise<boolean>;
}) {
  const { clock, audited, dualControl, approverGroup } = deps;

  const find = (db: Executor, id: string) => db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();

  async function create(ctx: RequestContext, input: { name: string; description?: string }): Promise<Group> {
    return audited(ctx, { action: 'group.create', objectType: 'group' }, async (trx, ev) => {
      authorize(ctx.actor, 'groups.write');
      const canonical = canonicalUsername(input.name);
      const taken = await trx.selectFrom('groups').select('id').where('name_canonical', '=', canonical).executeTakeFirst();
      if (taken) throw new AppError('conflict', 'A group with that name exists.');
      const now = clock.now();
      const row: GroupTable = {
        id: newId('grp', now),
        name: input.name.trim(),
        name_canonical: canonical,
        description: input.description ?? '',
        created_at: now,
      };
      await trx.insertInto('groups').values(row).execute();
      ev.objectId = row.id;
      return present(trx, row);
    });
  }

  async function list(ctx: RequestContext, q: { cursor?: string; limit?: number }) {
    return audited(ctx, { action: 'group.list', objectType: 'group' }, async (trx) => {
      authorize(ctx.actor, 'groups.read');
      const limit = q.limit ?? 50;
      let query = trx
        .selectFrom('groups')
        .selectAll()
        .orderBy('id')
        .limit(limit + 1);
      if (q.cursor) query = query.where('id', '>', q.cursor);
      const rows = await query.execute();
      const page = rows.slice(0, limit);
      return {
        items: await Promise.all(page.map((g) => present(trx, g))),
        nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    });
  }

  async function get(ctx: RequestContext, id: string): Promise<Group> {
    return audited(ctx, { action: 'group.read', objectType: 'group', objectId: id }, async (trx) => {
      authorize(ctx.actor, 'groups.read');
      const g = await find(trx, id);
      if (!g) throw notFound();
      return present(trx, g);
    });
  }

  async function update(ctx: RequestContext, id: string, patch: { name?: string; description?: string }): Promise<Group> {
    return audited(ctx, { action: 'group.update', objectType: 'group', objectId: id }, async (trx, ev) => {
      authorize(ctx.actor, 'groups.write');
      const g = await find(trx, id);
      if (!g) throw notFound();
      const next = { ...g };
      if (patch.name !== undefined) {
        const canonical = canonicalUsername(patch.name);
        const taken = await trx
          .selectFrom('groups')
          .select('id')
          .where('name_canonical', '=', canonical)
          .where('id', '!=', id)
          .executeTakeFirst();
        if (taken) throw new AppError('conflict', 'A group with that name exists.');
        next.name = patch.name.trim();
        next.name_canonical = canonical;
      }
      if (patch.description !== undefined) next.description = patch.description;
      await trx
        .updateTable('groups')
        .set({ name: next.name, name_canonical: next.name_canonical, description: next.description })
        .where('id', '=', id)
        .execute();
      ev.details = { fields: Object.keys(patch) };
      return present(trx, next);
    });
  }

  async function remove(ctx: RequestContext, id: string): Promise<void> {
    await audited(ctx, { action: 'group.delete', objectType: 'group', objectId: id }, async (trx) => {
      authorize(ctx.actor, 'groups.write');
      if (!(await find(trx, id))) throw notFound();
      await trx.deleteFrom('group_members').where('group_id', '=', id).execute();
      await trx.deleteFrom('groups').where('id', '=', id).execute();
    });
  }

  async function addMemberIn(
    trx: Trx,
    ctx: RequestContext,
    ev: AuditedEv,
    id: string,
    userId: string,
    mode: GateMode,
  ): Promise<Group | PendingApproval> {
    authorize(ctx.actor, 'groups.write');
    const g = await find(trx, id);
    if (!g) throw notFound();
    ev.details = { userId };
    const u = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
    if (!u) throw new AppError('not_found', 'No such user.');
    // any grant, live or not yet swept: the group reaches values (or did until a moment ago)
    const grant = await trx
      .selectFrom('grants')
      .select('id')
      .where('principal_type', '=', 'group')
      .where('principal_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    const pending = await dualControl.gate(
      trx,
      ctx,
      ev,
      { type: 'group.member_add', groupId: id, userId },
      // a member of an approver group approves others' access requests: a puppet approver otherwise
      { groupHoldsGrants: grant !== undefined, groupApproves: await approverGroup(trx, id) },
      { mode, targetId: id },
    );
    if (pending) return pending;
    await trx
      .insertInto('group_members')
      .values({ group_id: id, user_id: userId })
      .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
      .execute();
    ev.objectId = id;
    ev.details = { userId };
    return present(trx, g);
  }

  async function addMember(ctx: RequestContext, id: string, userId: string): Promise<Group | PendingApproval> {
    return audited(ctx, { action: 'group.member_add', objectType: 'group', objectId: id }, (trx, ev) =>
      addMemberIn(trx, ctx, ev, id, userId, callMode),
    );
  }

  async function removeMember(ctx: RequestContext, id: string, userId: string): Promise<Group> {
    return audited(ctx, { action: 'group.member_remove', objectType: 'group', objectId: id }, async (trx, ev) => {
      authorize(ctx.actor, 'groups.write');
      const g = await find(trx, id);
      if (!g) throw notFound();
      ev.details = { userId };
      await trx.deleteFrom('group_members').where('group_id', '=', id).where('user_id', '=', userId).execute();
      return present(trx, g);
    });
  }

  return { create, list, get, update, remove, addMember, removeMember, runners: { 'group.member_add': addMemberIn } };
}
export type GroupsService = ReturnType<typeof createGroupsService>;
