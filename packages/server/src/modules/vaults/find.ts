// Finding folders by name, and the breadcrumbs (vault, then folders) of nodes: what compatibility
// APIs that show a folder's place need (Passwork's `path`, its folder search).
import { type SqlBool, sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import { levelRank } from '../access/levels.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';
import type { Core } from './core.ts';
import { type PolicyNode, policyChain } from './policy-chain.ts';
import { presentFolder } from './vaults.presenter.ts';

/** At most this many folders answer one search. */
const MAX_FOUND = 200;

export interface Ancestor {
  id: string;
  type: 'vault' | 'folder';
  name: string;
}

function likeEscape(q: string): string {
  return q.replace(/[!%_]/g, (c) => `!${c}`);
}

export function createFind(core: Core) {
  const { deps, seesInside } = core;
  const { access, audited } = deps;

  /**
   * Folders whose name contains `text` (canonical form; all folders when empty), in one vault or
   * all, that the caller may list or sees into; by path. Hidden ones are never counted.
   */
  async function findFolders(ctx: RequestContext, q: { text: string; vaultId?: string }) {
    return audited(ctx, { action: 'folder.search', objectType: 'folder', readOnly: true }, async (trx, ev) => {
      requireUser(ctx.actor);
      const term = canonicalUsername(q.text ?? '');
      let query = trx.selectFrom('folders').selectAll().orderBy('vault_id').orderBy('path').limit(5000);
      if (term) query = query.where(sql<SqlBool>`name_canonical like ${`%${likeEscape(term)}%`} escape '!'`);
      if (q.vaultId) query = query.where('vault_id', '=', q.vaultId);
      const rows = await query.execute();
      const p = await access.principalsOf(trx, ctx.actor);
      const items = [];
      for (const f of rows) {
        if (items.length >= MAX_FOUND) break;
        const level = await access.nodeLevel(trx, ctx.actor, f.id, p);
        if (level >= levelRank.list || (await seesInside(trx, ctx, f.id))) items.push(presentFolder(f, level));
      }
      ev.details = { count: items.length };
      return { items, nextCursor: null };
    });
  }

  /**
   * The vault and folders from the top down to each node (the node included). Names only, of
   * nodes above something the caller was already shown (no check here: the caller has).
   */
  async function ancestries(exec: Executor, nodeIds: readonly string[]): Promise<Map<string, Ancestor[]>> {
    const out = new Map<string, Ancestor[]>();
    for (const id of new Set(nodeIds)) {
      const chain: PolicyNode[] = await policyChain(exec, id);
      out.set(
        id,
        chain.map((n) => ({ id: n.id, type: n.type, name: n.name })),
      );
    }
    return out;
  }

  return { findFolders, ancestries };
}
