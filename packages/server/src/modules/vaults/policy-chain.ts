import type { AccessPolicy } from '@coffer/contracts/vaults';
import type { Executor } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';

/** One vault or folder on the way from the vault down to a node, with its own policy. */
export interface PolicyNode {
  id: string;
  type: 'vault' | 'folder';
  name: string;
  /** A folder that does not inherit the policy starts afresh from the defaults. */
  inherits: boolean;
  /** A folder's path ("/a/b"); "/" for the vault. */
  path: string;
  policy: AccessPolicy;
}

const chainQuery = prepared<
  'node',
  {
    id: string;
    fpolicy: string | null;
    inherit: number | null;
    fname: string | null;
    fpath: string | null;
    vpolicy: string | null;
    vname: string | null;
  }
>((db, p) =>
  db
    .selectFrom('tree_paths as t')
    .leftJoin('folders as f', 'f.id', 't.ancestor_id')
    .leftJoin('vaults as v', 'v.id', 't.ancestor_id')
    .select([
      't.ancestor_id as id',
      'f.policy as fpolicy',
      'f.inherit_policy as inherit',
      'f.name as fname',
      'f.path as fpath',
      'v.policy as vpolicy',
      'v.name as vname',
    ])
    .where('t.descendant_id', '=', p('node'))
    .orderBy('t.depth', 'desc'),
);

/**
 * The policies from the vault (first) down to `nodeId`, in one prepared query. Every policy of a
 * secret (reason, password rules, approval, checkout, time window) is merged from this one chain,
 * so a reveal reads it once.
 */
export async function policyChain(exec: Executor, nodeId: string): Promise<PolicyNode[]> {
  const rows = await chainQuery(exec, { node: nodeId });
  return rows.map((r) => ({
    id: r.id,
    type: r.fpolicy !== null ? ('folder' as const) : ('vault' as const),
    name: r.fname ?? r.vname ?? '',
    inherits: r.fpolicy !== null ? Number(r.inherit) === 1 : true,
    path: r.fpolicy !== null ? (r.fpath ?? '/') : '/',
    policy: JSON.parse(r.fpolicy ?? r.vpolicy ?? '{}') as AccessPolicy,
  }));
}
