import type { Executor } from '../../db/database.ts';

/**
 * The closure table over vaults and folders. Invariant: for every node N and every ancestor A of N
 * (N included) there is one row (A, N, distance, inherits), where inherits = 1 when N receives the
 * grants made on A: no node on the way from N up to A (A excluded) breaks inheritance.
 */
export async function insertRoot(db: Executor, vaultId: string): Promise<void> {
  await db.insertInto('tree_paths').values({ ancestor_id: vaultId, descendant_id: vaultId, depth: 0, inherits: 1 }).execute();
}

export async function insertChild(db: Executor, parentId: string, childId: string, inherit: boolean): Promise<void> {
  const up = await db.selectFrom('tree_paths').selectAll().where('descendant_id', '=', parentId).execute();
  const rows = up.map((r) => ({
    ancestor_id: r.ancestor_id,
    descendant_id: childId,
    depth: r.depth + 1,
    inherits: inherit && r.inherits === 1 ? 1 : 0,
  }));
  rows.push({ ancestor_id: childId, descendant_id: childId, depth: 0, inherits: 1 });
  await db.insertInto('tree_paths').values(rows).execute();
}

export function ancestors(db: Executor, nodeId: string) {
  return db.selectFrom('tree_paths').selectAll().where('descendant_id', '=', nodeId).orderBy('depth').execute();
}

export function subtree(db: Executor, nodeId: string) {
  return db.selectFrom('tree_paths').selectAll().where('ancestor_id', '=', nodeId).orderBy('depth').execute();
}

/**
 * Re-links the subtree of `nodeId` under `newParentId` (a move) and/or applies a new inherit flag
 * of `nodeId`. Costs O(subtree size x depth) rows.
 */
export async function relink(db: Executor, nodeId: string, newParentId: string, inherit: boolean): Promise<void> {
  const sub = await subtree(db, nodeId); // (nodeId -> D)
  const subIds = sub.map((r) => r.descendant_id);
  const newUp = await ancestors(db, newParentId); // (A -> newParent)
  // drop links from outside the subtree into it
  for (let i = 0; i < subIds.length; i += 500) {
    await db
      .deleteFrom('tree_paths')
      .where('descendant_id', 'in', subIds.slice(i, i + 500))
      .where('ancestor_id', 'not in', (eb) =>
        eb.selectFrom('tree_paths as s').select('s.descendant_id').where('s.ancestor_id', '=', nodeId),
      )
      .execute();
  }
  const rows = [];
  for (const a of newUp) {
    for (const d of sub) {
      rows.push({
        ancestor_id: a.ancestor_id,
        descendant_id: d.descendant_id,
        depth: a.depth + 1 + d.depth,
        inherits: a.inherits === 1 && inherit && d.inherits === 1 ? 1 : 0,
      });
    }
  }
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('tree_paths')
      .values(rows.slice(i, i + 500))
      .execute();
}

export async function deleteNodes(db: Executor, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db.deleteFrom('tree_paths').where('descendant_id', 'in', chunk).execute();
    await db.deleteFrom('grants').where('node_id', 'in', chunk).execute();
    await db.deleteFrom('metadata').where('node_id', 'in', chunk).execute();
  }
}
