import type { ExpressionBuilder } from 'kysely';
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Actor } from '../auth/actor.ts';
import { type Level, levelName, levelRank } from './levels.ts';

/**
 * Who may do what on vaults, folders and secrets.
 *
 * Effective level of a principal set on a node = the highest level granted to one of its
 * principals (the user, or a group the user is in) on the node itself or on an ancestor from which
 * the node inherits (tree_paths.inherits = 1). A secret adds the grants made on itself (shares).
 * Cost: one indexed query over the O(depth) ancestor rows, whatever the number of secrets.
 *
 * Roles combine as in PMP: the all-passwords scope gives `manage` everywhere; a Password Auditor is
 * capped at `view` (reads metadata and the audit trail, never values); otherwise roles give no
 * access to secrets by themselves — an Administrator sees no value without a grant.
 */
export interface Principals {
  userId: string;
  ids: string[];
}

/**
 * `dialect` shapes the SQL of the visibility forms. PostgreSQL turns an EXISTS inside an OR into a
 * hashed subplan when it guesses that cheaper; with grants on top folders (a few thousand
 * descendants each, against an average of a handful) it guesses wrong and builds the whole
 * reachable set — ~95k folders, 60-350 ms at 1M secrets — to answer for one row. There the per-row
 * probes carry `OFFSET 0`, which PostgreSQL never hashes (nor flattens); SQLite needs no fence.
 */
export function createAccess(deps: { clock: Clock; dialect?: 'sqlite' | 'postgres' }) {
  const fence = deps.dialect === 'postgres';
  async function principalsOf(db: Executor, actor: Actor): Promise<Principals | null> {
    if (actor.kind !== 'user' || !actor.userId) return null;
    const groups = await db.selectFrom('group_members').select('group_id').where('user_id', '=', actor.userId).execute();
    return { userId: actor.userId, ids: [actor.userId, ...groups.map((g) => g.group_id)] };
  }

  function cap(actor: Actor, rank: number): number {
    if (actor.allPasswords && (actor.role === 'administrator' || actor.role === 'password_administrator')) return levelRank.manage;
    if (actor.role === 'password_auditor') return Math.min(rank, levelRank.view);
    return rank;
  }

  /** Effective level (0 = none) of the actor on a vault or folder node. */
  async function nodeLevel(db: Executor, actor: Actor, nodeId: string, p?: Principals | null): Promise<number> {
    const principals = p === undefined ? await principalsOf(db, actor) : p;
    if (!principals) return 0;
    const now = deps.clock.now();
    const r = await db
      .selectFrom('grants as g')
      .innerJoin('tree_paths as t', 't.ancestor_id', 'g.node_id')
      .select((eb) => eb.fn.max('g.level').as('level'))
      .where('t.descendant_id', '=', nodeId)
      .where('t.inherits', '=', 1)
      .where('g.principal_id', 'in', principals.ids)
      .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
      .executeTakeFirst();
    return cap(actor, Number(r?.level ?? 0));
  }

  /** Effective level on a secret: its parent node's, or a grant (share) on the secret itself. */
  async function secretLevel(db: Executor, actor: Actor, secret: { id: string; parent_node_id: string }): Promise<number> {
    const principals = await principalsOf(db, actor);
    if (!principals) return 0;
    const now = deps.clock.now();
    const direct = await db
      .selectFrom('grants')
      .select((eb) => eb.fn.max('level').as('level'))
      .where('node_id', '=', secret.id)
      .where('principal_id', 'in', principals.ids)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    const inherited = await nodeLevel(db, actor, secret.parent_node_id, principals);
    return Math.max(cap(actor, Number(direct?.level ?? 0)), inherited);
  }

  /**
   * SQL condition: the secret row `s` is visible at `min` or above. Used to scope list and search
   * queries in the database (never filtered after loading).
   */
  function secretVisible(actor: Actor, principals: Principals, min: Level, opts: { correlated?: boolean; within?: string } = {}) {
    const now = deps.clock.now();
    const need = levelRank[min];
    return (eb: ExpressionBuilder<DB & { s: DB['secrets'] }, 's'>): Expression<SqlBool> => {
      // cap() lifts even "no grant" to manage only for the all-passwords scope (an administrator role)
      if (cap(actor, 0) === levelRank.manage) return sql<SqlBool>`1 = 1`;
      if (cap(actor, need) < need) return sql<SqlBool>`1 = 0`;
      // Two equivalent forms. `in`: the set of reachable folders is built once, which suits a plain
      // listing; `correlated`: an O(depth) probe per candidate row, which suits a query that other
      // conditions (text, tag, folder) already narrowed to few rows.
      const within = opts.within;
      // is folder `node` reached by a live grant of the caller (O(depth) rows of tree_paths)?
      const reached = (node: 'sub.descendant_id' | 's.parent_node_id') => {
        const probe = eb
          .selectFrom('tree_paths as t')
          .innerJoin('grants as g', 'g.node_id', 't.ancestor_id')
          .select('g.id')
          .where('t.descendant_id', '=', sql.ref<string>(node))
          .where('t.inherits', '=', 1)
          .where('g.principal_id', 'in', principals.ids)
          .where('g.level', '>=', need)
          .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)]));
        return eb.exists(fence ? probe.offset(0) : probe);
      };
      const viaTree = within
        ? // the folders of one subtree that a grant reaches, found once: each folder of the subtree
          // probed up its path (O(subtree × depth), whatever the grants reach elsewhere)
          eb(
            's.parent_node_id',
            'in',
            eb
              .selectFrom('tree_paths as sub')
              .select('sub.descendant_id')
              .where('sub.ancestor_id', '=', within)
              .where(() => reached('sub.descendant_id')),
          )
        : opts.correlated
          ? reached('s.parent_node_id')
          : eb(
              's.parent_node_id',
              'in',
              eb
                .selectFrom('grants as g')
                .innerJoin('tree_paths as t', 't.ancestor_id', 'g.node_id')
                .select('t.descendant_id')
                .where('g.principal_id', 'in', principals.ids)
                .where('g.level', '>=', need)
                .where('t.inherits', '=', 1)
                .where((ib) => ib.or([ib('g.expires_at', 'is', null), ib('g.expires_at', '>', now)])),
            );
      return eb.or([
        viaTree,
        eb.exists(
          eb
            .selectFrom('grants as d')
            .select('d.id')
            .whereRef('d.node_id', '=', 's.id')
            .where('d.principal_id', 'in', principals.ids)
            .where('d.level', '>=', need)
            .where((ib) => ib.or([ib('d.expires_at', 'is', null), ib('d.expires_at', '>', now)])),
        ),
      ]);
    };
  }

  /**
   * Levels on a page of secrets in two queries, whatever its size: `level` as secretLevel gives it,
   * `viaTree` the part that comes from folder and vault grants (below `list`: only shared one by one).
   */
  async function secretLevels(
    db: Executor,
    actor: Actor,
    principals: Principals | null,
    secrets: ReadonlyArray<{ id: string; parent_node_id: string }>,
  ): Promise<Map<string, { level: number; viaTree: number }>> {
    const out = new Map<string, { level: number; viaTree: number }>();
    if (!secrets.length) return out;
    const direct = new Map<string, number>();
    const inherited = new Map<string, number>();
    if (principals) {
      const now = deps.clock.now();
      const ids = secrets.map((s) => s.id);
      const parents = [...new Set(secrets.map((s) => s.parent_node_id))];
      const d = await db
        .selectFrom('grants')
        .select(['node_id', (eb) => eb.fn.max('level').as('level')])
        .where('node_id', 'in', ids)
        .where('principal_id', 'in', principals.ids)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .groupBy('node_id')
        .execute();
      for (const r of d) direct.set(r.node_id, Number(r.level ?? 0));
      // the page's folders up their paths (a few rows each), then their grants. PostgreSQL would
      // rather start from the caller's grants, which sit on top folders, and walk each one's whole
      // subtree (45 ms for a page at 1M secrets instead of 2): the fence keeps the paths first.
      const paths = db
        .selectFrom('tree_paths')
        .select(['descendant_id', 'ancestor_id'])
        .where('descendant_id', 'in', parents)
        .where('inherits', '=', 1);
      const t = await db
        .selectFrom((fence ? paths.offset(0) : paths).as('t'))
        .innerJoin('grants as g', 'g.node_id', 't.ancestor_id')
        .select(['t.descendant_id', (eb) => eb.fn.max('g.level').as('level')])
        .where('g.principal_id', 'in', principals.ids)
        .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
        .groupBy('t.descendant_id')
        .execute();
      for (const r of t) inherited.set(r.descendant_id, Number(r.level ?? 0));
    }
    for (const s of secrets) {
      const viaTree = principals ? cap(actor, inherited.get(s.parent_node_id) ?? 0) : 0;
      const level = principals ? Math.max(cap(actor, direct.get(s.id) ?? 0), viaTree) : 0;
      out.set(s.id, { level, viaTree });
    }
    return out;
  }

  /** Why the actor has the level it has on a node: every contributing grant, nearest first. */
  async function explain(db: Executor, actor: Actor, target: { nodeId: string; secretId?: string }) {
    const principals = await principalsOf(db, actor);
    const chain = await db
      .selectFrom('tree_paths')
      .select(['ancestor_id', 'depth', 'inherits'])
      .where('descendant_id', '=', target.nodeId)
      .orderBy('depth')
      .execute();
    const nodeIds = chain.map((c) => c.ancestor_id);
    if (target.secretId) nodeIds.unshift(target.secretId);
    const now = deps.clock.now();
    const grants = principals
      ? await db.selectFrom('grants').selectAll().where('node_id', 'in', nodeIds).where('principal_id', 'in', principals.ids).execute()
      : [];
    const steps = grants.map((g) => {
      const link = chain.find((c) => c.ancestor_id === g.node_id);
      const expired = g.expires_at !== null && Number(g.expires_at) <= now;
      const applies = !expired && (g.node_id === target.secretId || link?.inherits === 1);
      return {
        nodeId: g.node_id,
        nodeType: g.node_type,
        principalType: g.principal_type,
        principalId: g.principal_id,
        level: levelName(g.level) as Level,
        distance: g.node_id === target.secretId ? 0 : (link?.depth ?? 0),
        applies,
        why: expired ? 'expired' : applies ? (link && link.depth > 0 ? 'inherited' : 'direct') : 'inheritance broken below this node',
      };
    });
    steps.sort((a, b) => a.distance - b.distance);
    const raw = Math.max(0, ...steps.filter((s) => s.applies).map((s) => levelRank[s.level]));
    const effective = principals ? cap(actor, raw) : 0;
    const roleNote =
      cap(actor, 0) === levelRank.manage
        ? 'all-passwords scope'
        : actor.role === 'password_auditor' && raw > levelRank.view
          ? 'Password Auditors are capped at view'
          : null;
    return { level: levelName(effective), steps, roleNote };
  }

  return { principalsOf, nodeLevel, secretLevel, secretLevels, secretVisible, explain, cap };
}
export type Access = ReturnType<typeof createAccess>;
