// The permissions of one secret as a whole (Passbolt's share dialog, ADR 0025): the live grants
// that apply to it (on the secret, or inherited from its vault and folders), and a batch of
// changes to the grants on the secret itself applied all or nothing in one transaction. Same rules
// as a single grant: manage on the secret; the E2E listeners check the messages each new reader
// needs once, after every change of the batch; a secret keeps at least one owner (a live manage
// grant). Inherited grants are changed where they are made (the vault or folder), never here.
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { ExpressionBuilder } from 'kysely';
import type { Executor, Trx } from '../../db/database.ts';
import type { DB, GrantTable } from '../../db/schema.ts';
import { AppError, type ErrorDetail } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { type Level, levelRank } from '../access/levels.ts';
import type { Actor, RequestContext } from '../auth/actor.ts';
import { readersFromGrants } from '../e2e/readers.ts';
import type { Core } from './core.ts';
import type { createGrants } from './grants.ts';

/** One change of a batch: `grantId` names a grant on the secret (update its level, or delete it); else a principal gets one. */
export interface SecretGrantChange {
  grantId?: string;
  principalType?: 'user' | 'group';
  principalId?: string;
  level?: Level;
  delete?: boolean;
}

const invalid = (details: ErrorDetail[], message = 'Some permission changes are invalid.') =>
  new AppError('validation.failed', message, { details });

export function createSecretGrants(core: Core, grants: ReturnType<typeof createGrants>) {
  const { clock, access, audited } = core.deps;

  /** The live grants that apply to the secret: on itself and on the nodes it inherits from. */
  async function applicable(exec: Executor, secretId: string, parent: string, now: number): Promise<GrantTable[]> {
    return exec
      .selectFrom('grants as g')
      .selectAll('g')
      .where((eb) =>
        eb.or([
          eb('g.node_id', '=', secretId),
          eb(
            'g.node_id',
            'in',
            eb.selectFrom('tree_paths as t').select('t.ancestor_id').where('t.descendant_id', '=', parent).where('t.inherits', '=', 1),
          ),
        ]),
      )
      .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
      .orderBy('g.id')
      .execute();
  }

  /**
   * For each secret, the grant that gives the caller their access (on the secret or inherited, to
   * them or a group of theirs; the highest level, a grant on the secret first): what a
   * compatibility API shows as "your permission", with the same id its permission list shows.
   * Secrets reached only otherwise (the all-passwords scope) are absent. Two statements.
   */
  async function ownGrantsAmong(exec: Executor, actor: Actor, items: Array<{ id: string; parentNodeId: string }>) {
    const out = new Map<string, GrantTable>();
    const principals = (await access.principalsOf(exec, actor))?.ids;
    if (!principals?.length || !items.length) return out;
    const now = clock.now();
    const live = (eb: ExpressionBuilder<DB, 'grants'>) => eb.or([eb('grants.expires_at', 'is', null), eb('grants.expires_at', '>', now)]);
    const direct = await exec
      .selectFrom('grants')
      .selectAll('grants')
      .where(
        'grants.node_id',
        'in',
        items.map((i) => i.id),
      )
      .where('grants.principal_id', 'in', principals)
      .where(live)
      .execute();
    const parents = [...new Set(items.map((i) => i.parentNodeId))];
    const inherited = await exec
      .selectFrom('grants')
      .innerJoin('tree_paths as t', 't.ancestor_id', 'grants.node_id')
      .selectAll('grants')
      .select('t.descendant_id as at')
      .where('t.descendant_id', 'in', parents)
      .where('t.inherits', '=', 1)
      .where('grants.principal_id', 'in', principals)
      .where(live)
      .execute();
    const better = (a: GrantTable | undefined, b: GrantTable) => (!a || b.level > a.level ? b : a);
    for (const g of direct) out.set(g.node_id, better(out.get(g.node_id), g));
    const byParent = new Map<string, GrantTable>();
    for (const { at, ...g } of inherited) byParent.set(at, better(byParent.get(at), g));
    for (const i of items) {
      const up = byParent.get(i.parentNodeId);
      const own = out.get(i.id);
      if (up && (!own || up.level > own.level)) out.set(i.id, up);
    }
    return out;
  }

  /**
   * The grants applying to a secret. A caller with manage sees them all; one with less sees the
   * grants naming them or their groups (their own access); none reads as a missing secret.
   */
  async function secretPermissions(ctx: RequestContext, secretId: string): Promise<GrantTable[]> {
    return audited(ctx, { action: 'grant.list', objectType: 'secret', objectId: secretId, readOnly: true }, async (trx) => {
      const info = await grants.nodeInfo(trx, secretId);
      if (info.type !== 'secret') throw new AppError('not_found', 'No such secret.');
      const parent = info.parent as string;
      const level = await access.secretLevel(trx, ctx.actor, { id: secretId, parent_node_id: parent });
      if (level < levelRank.list) throw new AppError('not_found', 'No such secret.');
      const rows = await applicable(trx, secretId, parent, clock.now());
      if (level >= levelRank.manage) return rows;
      const mine = new Set((await access.principalsOf(trx, ctx.actor))?.ids ?? []);
      return rows.filter((g) => mine.has(g.principal_id));
    });
  }

  /** The grants on the secret after the changes (nothing written), refused with every invalid change named. */
  async function plan(trx: Executor, secretId: string, parent: string, changes: SecretGrantChange[]) {
    const now = clock.now();
    const before = await applicable(trx, secretId, parent, now);
    const own = new Map(before.filter((g) => g.node_id === secretId).map((g) => [g.id, g]));
    const after = new Map(before.map((g) => [g.id, { ...g }]));
    const details: ErrorDetail[] = [];
    const touched = new Set<string>();
    const writes: Array<{ kind: 'insert' | 'update' | 'delete'; row: GrantTable }> = [];
    for (const [i, c] of changes.entries()) {
      const path = `/permissions/${i}`;
      if (c.grantId !== undefined) {
        const g = own.get(c.grantId);
        if (!g) {
          const inherited = before.some((b) => b.id === c.grantId);
          details.push({
            path: `${path}/id`,
            message: inherited ? 'inherited from a vault or folder: change it there' : 'no such permission',
          });
          continue;
        }
        if (touched.has(g.id)) {
          details.push({ path: `${path}/id`, message: 'changed twice' });
          continue;
        }
        touched.add(g.id);
        if (c.delete) {
          after.delete(g.id);
          writes.push({ kind: 'delete', row: g });
        } else if (c.level) {
          const row = { ...g, level: levelRank[c.level] };
          after.set(g.id, row);
          writes.push({ kind: 'update', row });
        } else details.push({ path: `${path}/type`, message: 'a level is required' });
        continue;
      }
      if (!c.principalType || !c.principalId || !c.level) {
        details.push({ path, message: 'a new permission needs a user or group and a level' });
        continue;
      }
      const table = c.principalType === 'user' ? 'users' : 'groups';
      const exists = await trx.selectFrom(table).select('id').where('id', '=', c.principalId).executeTakeFirst();
      if (!exists) {
        details.push({ path: `${path}/aro_foreign_key`, message: `no such ${c.principalType}` });
        continue;
      }
      const key = `${c.principalType}:${c.principalId}`;
      const existing = [...own.values()].find((g) => `${g.principal_type}:${g.principal_id}` === key);
      if (touched.has(key) || (existing && touched.has(existing.id))) {
        details.push({ path: `${path}/aro_foreign_key`, message: 'changed twice' });
        continue;
      }
      touched.add(key);
      if (existing) touched.add(existing.id);
      // one grant per (node, principal): a second one for the same principal changes its level
      const row: GrantTable = existing
        ? { ...existing, level: levelRank[c.level] }
        : {
            id: newId('gra', now),
            node_id: secretId,
            node_type: 'secret',
            principal_type: c.principalType,
            principal_id: c.principalId,
            level: levelRank[c.level],
            is_share: 1,
            expires_at: null,
            created_by: null,
            created_at: now,
          };
      after.set(row.id, row);
      writes.push({ kind: existing ? 'update' : 'insert', row });
    }
    if (details.length) throw invalid(details);
    const afterRows = [...after.values()];
    if (!afterRows.some((g) => g.level >= levelRank.manage)) {
      throw invalid(
        [{ path: '/permissions', message: 'a resource must keep at least one owner' }],
        'A resource must have at least one owner.',
      );
    }
    const readable = (rows: GrantTable[]) => rows.filter((g) => g.level >= levelRank.reveal);
    const [readersBefore, readersAfter] = [
      await readersFromGrants(trx, readable(before)),
      await readersFromGrants(trx, readable(afterRows)),
    ];
    const was = new Set(readersBefore);
    const will = new Set(readersAfter);
    return {
      writes,
      after: afterRows,
      added: readersAfter.filter((u) => !was.has(u)),
      removed: readersBefore.filter((u) => !will.has(u)),
    };
  }

  /** Loads the secret for a change of its permissions: manage needed (forbidden when the caller sees it, else not found). */
  async function secretForChange(trx: Executor, ctx: RequestContext, secretId: string) {
    const info = await grants.requireManageOn(trx, ctx, secretId);
    if (info.type !== 'secret') throw new AppError('not_found', 'No such secret.');
    return info.parent as string;
  }

  /** The users who would gain and lose read access (`reveal`) by these changes; nothing is written. */
  async function simulateSecretGrants(ctx: RequestContext, secretId: string, changes: SecretGrantChange[]) {
    return audited(ctx, { action: 'secret.share_simulate', objectType: 'secret', objectId: secretId, readOnly: true }, async (trx) => {
      const parent = await secretForChange(trx, ctx, secretId);
      const p = await plan(trx, secretId, parent, changes);
      return { added: p.added, removed: p.removed };
    });
  }

  /**
   * Applies the changes all or nothing. A new reader of an E2E secret needs their message in
   * `messages` (checked by the grant listeners once, after the whole batch); a removed reader's
   * message stays and the secret reads rotationRequired, as for a single revoke.
   */
  async function applySecretGrants(ctx: RequestContext, secretId: string, changes: SecretGrantChange[], messages: SecretMessage[]) {
    return audited(ctx, { action: 'secret.share', objectType: 'secret', objectId: secretId }, async (trx: Trx, ev) => {
      const parent = await secretForChange(trx, ctx, secretId);
      const p = await plan(trx, secretId, parent, changes);
      for (const w of p.writes) {
        if (w.kind === 'delete') await trx.deleteFrom('grants').where('id', '=', w.row.id).execute();
        else if (w.kind === 'update') await trx.updateTable('grants').set({ level: w.row.level }).where('id', '=', w.row.id).execute();
        else {
          // one grant per (node, principal): an expired one of the same principal makes way
          await trx
            .deleteFrom('grants')
            .where('node_id', '=', secretId)
            .where('principal_type', '=', w.row.principal_type)
            .where('principal_id', '=', w.row.principal_id)
            .execute();
          await trx
            .insertInto('grants')
            .values({ ...w.row, created_by: ctx.actor.userId })
            .execute();
        }
      }
      // the E2E check runs once for the batch, with the grant giving the most (every new reader then needs a message)
      const written = p.writes.filter((w) => w.kind !== 'delete').map((w) => ({ ...w.row, created_by: ctx.actor.userId }));
      const top = written.sort((a, b) => b.level - a.level)[0];
      if (top) {
        for (const listener of core.grantListeners) await listener(trx, top, messages);
      } else if (messages.length) {
        throw invalid([{ path: '/secrets', message: 'no permission is added: no message is needed' }]);
      }
      ev.details = {
        changes: p.writes.map((w) => ({
          change: w.kind,
          principalType: w.row.principal_type,
          principalId: w.row.principal_id,
          level: w.row.level,
        })),
        readersAdded: p.added,
        readersRemoved: p.removed,
      };
      return { grants: p.after, added: p.added, removed: p.removed };
    });
  }

  return { secretPermissions, simulateSecretGrants, applySecretGrants, applicable, ownGrantsAmong };
}
