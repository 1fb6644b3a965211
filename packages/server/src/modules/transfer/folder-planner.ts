import type { Trx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import * as tree from '../access/tree.repository.ts';
import type { RequestContext } from '../auth/actor.ts';
import { canonicalUsername } from '../identities/username.ts';

export interface ImportTarget {
  vaultId: string;
  nodeId: string;
  type: 'vault' | 'folder';
  /** '' for the vault top, else the folder's `/A/B`. */
  path: string;
  depth: number;
}

interface FolderNode {
  id: string;
  path: string;
  depth: number;
  /** The caller may not write here (an existing folder below the target without edit for them). */
  blocked: boolean;
}

/** Resolves folder paths under the target, reusing existing folders and creating the missing ones. */
export async function folderPlanner(
  deps: { access: Access; clock: Clock },
  trx: Trx,
  ctx: RequestContext,
  t: ImportTarget,
  dryRun: boolean,
) {
  const { access, clock } = deps;
  const principals = await access.principalsOf(trx, ctx.actor);
  const existing = await trx
    .selectFrom('folders')
    .select(['id', 'parent_node_id', 'name_canonical', 'path', 'depth'])
    .where('id', 'in', (eb) => eb.selectFrom('tree_paths').select('descendant_id').where('ancestor_id', '=', t.nodeId))
    .execute();
  const byKey = new Map(existing.map((f) => [`${f.parent_node_id}/${f.name_canonical}`, f]));
  const resolved = new Map<string, FolderNode>();
  const byPath = new Map<string, FolderNode>();
  const root: FolderNode = { id: t.nodeId, path: t.path, depth: t.depth, blocked: false };
  let created = 0;
  const now = clock.now();

  async function resolve(path: string[]): Promise<FolderNode> {
    const whole = path.join('/');
    const known = byPath.get(whole);
    if (known) return known;
    let node = root;
    for (const name of path) {
      const key = `${node.id}/${canonicalUsername(name)}`;
      let next = resolved.get(key);
      if (!next) {
        const row = byKey.get(key);
        if (row) {
          const blocked = node.blocked || (await access.nodeLevel(trx, ctx.actor, row.id, principals)) < levelRank.edit;
          next = { id: row.id, path: row.path, depth: row.depth, blocked };
        } else if (node.blocked) {
          next = { id: `${key}/`, path: `${node.path}/${name}`, depth: node.depth + 1, blocked: true };
        } else {
          next = { id: newId('fld', now), path: `${node.path}/${name}`, depth: node.depth + 1, blocked: false };
          created++;
          if (!dryRun) {
            await trx
              .insertInto('folders')
              .values({
                id: next.id,
                vault_id: t.vaultId,
                parent_node_id: node.id,
                name,
                name_canonical: canonicalUsername(name),
                path: next.path,
                depth: next.depth,
                inherit_permissions: 1,
                inherit_policy: 1,
                policy: '{}',
                created_by: ctx.actor.userId,
                created_at: now,
                updated_at: now,
              })
              .execute();
            await tree.insertChild(trx, node.id, next.id, true);
          }
        }
        resolved.set(key, next);
      }
      node = next;
    }
    byPath.set(whole, node);
    return node;
  }
  return { resolve, created: () => created };
}
