// Vaults: create (the creator gets manage), list (those the caller sees or sees into), read,
// update (name unique in canonical form, policy), delete (empty, or recursive without secrets).
import type { AccessPolicy } from '@coffer/contracts/vaults';
import type { Trx } from '../../db/database.ts';
import type { E2eScheme, VaultTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { isUniqueViolation } from '../../lib/unique-violation.ts';
import { levelRank } from '../access/levels.ts';
import * as tree from '../access/tree.repository.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import { type Core, notFound } from './core.ts';
import { presentVault } from './vaults.presenter.ts';

/** A new vault row and its tree root; a name taken meanwhile (a concurrent create) is a conflict. */
async function insertVault(trx: Trx, row: VaultTable): Promise<void> {
  await trx
    .insertInto('vaults')
    .values(row)
    .execute()
    .catch((e: unknown) => {
      throw isUniqueViolation(e) ? new AppError('conflict', 'A vault with that name exists.') : e;
    });
  await tree.insertRoot(trx, row.id);
}

export function createVaults(core: Core) {
  const { deps, requireNode, seesInside, getVaultRow, grantManage, removeSubtree } = core;
  const { clock, access, audited } = deps;

  async function createVault(
    ctx: RequestContext,
    input: {
      name: string;
      description?: string;
      policy?: AccessPolicy;
      encryption?: 'server' | 'e2e';
      e2eScheme?: E2eScheme;
      itemsOwnedByCreator?: boolean;
    },
  ) {
    return audited(ctx, { action: 'vault.create', objectType: 'vault' }, async (trx, ev) => {
      requireUser(ctx.actor);
      if (ctx.actor.role === 'password_auditor') throw new AppError('forbidden', 'Password Auditors cannot create vaults.');
      if (input.itemsOwnedByCreator && input.encryption !== 'e2e') {
        throw new AppError('validation.failed', 'Only an end-to-end encrypted vault can hold items owned by their creator.', {
          details: [{ path: '/itemsOwnedByCreator', message: 'needs encryption "e2e"' }],
        });
      }
      if (input.e2eScheme && input.encryption !== 'e2e') {
        throw new AppError('validation.failed', 'A scheme of end-to-end encryption is for an end-to-end encrypted vault.', {
          details: [{ path: '/e2eScheme', message: 'needs encryption "e2e"' }],
        });
      }
      if (input.itemsOwnedByCreator && input.e2eScheme === 'master-password') {
        throw new AppError('validation.failed', 'Items owned by their creator are for vaults end-to-end encrypted with OpenPGP.', {
          details: [{ path: '/itemsOwnedByCreator', message: 'needs e2eScheme "openpgp"' }],
        });
      }
      const canonical = canonicalUsername(input.name);
      if (await trx.selectFrom('vaults').select('id').where('name_canonical', '=', canonical).executeTakeFirst()) {
        throw new AppError('conflict', 'A vault with that name exists.');
      }
      const now = clock.now();
      const row: VaultTable = {
        id: newId('vlt', now),
        name: input.name.trim(),
        name_canonical: canonical,
        description: input.description ?? '',
        policy: JSON.stringify(input.policy ?? {}),
        encryption: input.encryption ?? 'server',
        e2e_scheme: input.encryption === 'e2e' ? (input.e2eScheme ?? 'openpgp') : null,
        items_owned_by_creator: input.itemsOwnedByCreator ? 1 : 0,
        created_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
      };
      // a concurrent create of the same name that committed after the check above: the same answer
      await insertVault(trx, row);
      await grantManage(trx, row.id, 'vault', ctx.actor.userId); // the creator owns it
      ev.objectId = row.id;
      if (row.encryption === 'e2e')
        ev.details = { encryption: 'e2e', e2eScheme: row.e2e_scheme, ...(input.itemsOwnedByCreator ? { itemsOwnedByCreator: true } : {}) };
      return presentVault(row, levelRank.manage);
    });
  }

  /**
   * The end-to-end encrypted vault of personal items named `name` (a compatibility API's home, e.g.
   * the Passbolt API's): its id, created on first need (audited `vault.create`, with no grant on
   * the vault: every item in it belongs to its creator, and a vault grant would make its holder a
   * reader of all of them). The caller must be able to own items there; a vault of that name that
   * is not such a vault is refused (an administrator must rename one of them).
   */
  async function ownedItemsVault(ctx: RequestContext, name: string): Promise<string> {
    const find = () => deps.db.selectFrom('vaults').selectAll().where('name_canonical', '=', canonicalUsername(name)).executeTakeFirst();
    const check = async (v: VaultTable) => {
      if (v.encryption !== 'e2e' || v.e2e_scheme === 'master-password' || v.items_owned_by_creator !== 1) {
        throw new AppError('conflict', `The vault "${name}" exists but is not an end-to-end encrypted vault of personal items.`);
      }
      return v.id;
    };
    const found = await find();
    if (found) return check(found);
    try {
      return await audited(ctx, { action: 'vault.create', objectType: 'vault' }, async (trx, ev) => {
        requireUser(ctx.actor);
        const now = clock.now();
        const row: VaultTable = {
          id: newId('vlt', now),
          name: name.trim(),
          name_canonical: canonicalUsername(name),
          description: 'Personal items: whoever creates an item at the top owns it (the Passbolt API)',
          policy: '{}',
          encryption: 'e2e',
          e2e_scheme: 'openpgp',
          items_owned_by_creator: 1,
          created_by: ctx.actor.userId,
          created_at: now,
          updated_at: now,
        };
        await insertVault(trx, row);
        ev.objectId = row.id;
        ev.details = { encryption: 'e2e', itemsOwnedByCreator: true };
        return row.id;
      });
    } catch (e) {
      // created by a concurrent request (committed in between): use that one
      const again = e instanceof AppError && e.code === 'conflict' ? await find() : undefined;
      if (again) return check(again);
      throw e;
    }
  }

  async function listVaults(ctx: RequestContext) {
    return audited(ctx, { action: 'vault.list', objectType: 'vault' }, async (trx) => {
      requireUser(ctx.actor);
      const p = await access.principalsOf(trx, ctx.actor);
      let q = trx.selectFrom('vaults').selectAll().orderBy('name_canonical');
      const superScope = access.cap(ctx.actor, 0) === levelRank.manage;
      if (!superScope && p) {
        const now = clock.now();
        // vaults with a live grant on the vault, a folder in it, or a secret in it
        q = q.where((eb) =>
          eb.or([
            eb(
              'vaults.id',
              'in',
              eb
                .selectFrom('grants as g')
                .innerJoin('tree_paths as t', 't.descendant_id', 'g.node_id')
                .select('t.ancestor_id')
                .where('g.principal_id', 'in', p.ids)
                .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
            ),
            eb(
              'vaults.id',
              'in',
              eb
                .selectFrom('grants as g')
                .innerJoin('secrets as s', 's.id', 'g.node_id')
                .select('s.vault_id')
                .where('g.principal_id', 'in', p.ids)
                .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
            ),
          ]),
        );
      }
      const rows = await q.execute();
      const out = [];
      for (const v of rows) out.push(presentVault(v, await access.nodeLevel(trx, ctx.actor, v.id, p)));
      return { items: out, nextCursor: null };
    });
  }

  async function getVault(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'vault.read', objectType: 'vault', objectId: id }, async (trx) => {
      const v = await getVaultRow(trx, id);
      const level = await access.nodeLevel(trx, ctx.actor, id);
      if (level < levelRank.list && !(await seesInside(trx, ctx, id))) throw notFound('vault');
      return presentVault(v, level);
    });
  }

  async function updateVault(ctx: RequestContext, id: string, patch: { name?: string; description?: string; policy?: AccessPolicy }) {
    return audited(ctx, { action: 'vault.update', objectType: 'vault', objectId: id }, async (trx, ev) => {
      const v = await getVaultRow(trx, id);
      const level = await requireNode(trx, ctx, id, 'manage', 'vault');
      const next = { ...v, updated_at: clock.now() };
      if (patch.name !== undefined) {
        const canonical = canonicalUsername(patch.name);
        const clash = await trx
          .selectFrom('vaults')
          .select('id')
          .where('name_canonical', '=', canonical)
          .where('id', '!=', id)
          .executeTakeFirst();
        if (clash) throw new AppError('conflict', 'A vault with that name exists.');
        next.name = patch.name.trim();
        next.name_canonical = canonical;
      }
      if (patch.description !== undefined) next.description = patch.description;
      if (patch.policy !== undefined) next.policy = JSON.stringify(patch.policy);
      await trx
        .updateTable('vaults')
        .set({
          name: next.name,
          name_canonical: next.name_canonical,
          description: next.description,
          policy: next.policy,
          updated_at: next.updated_at,
        })
        .where('id', '=', id)
        .execute();
      ev.details = { fields: Object.keys(patch) };
      return presentVault(next, level);
    });
  }

  async function deleteVault(ctx: RequestContext, id: string, recursive: boolean) {
    await audited(ctx, { action: 'vault.delete', objectType: 'vault', objectId: id }, async (trx, ev) => {
      await getVaultRow(trx, id);
      await requireNode(trx, ctx, id, 'manage', 'vault');
      const { ids, secrets } = await removeSubtree(trx, ctx, id, recursive);
      if (secrets > 0) throw new AppError('conflict', 'Purge or move the secrets of this vault (including its trash) before deleting it.');
      await trx.deleteFrom('folders').where('vault_id', '=', id).execute();
      await tree.deleteNodes(trx, ids);
      await trx.deleteFrom('vaults').where('id', '=', id).execute();
      ev.details = { folders: ids.length - 1 };
    });
  }

  return { createVault, ownedItemsVault, listVaults, getVault, updateVault, deleteVault };
}
