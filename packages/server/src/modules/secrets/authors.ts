// Who made a secret and who last changed it, and who its E2E readers are, for a page the caller has
// listed already (compatibility APIs show creator, modifier and "personal" on every item; ADR 0025).
import type { Executor } from '../../db/database.ts';
import { levelRank } from '../access/levels.ts';
import { readersOf } from '../e2e/readers.ts';
import type { Core } from './core.ts';
import * as repo from './secrets.repository.ts';

export interface Author {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  active: boolean;
}

export function createAuthors(core: Core) {
  const { clock } = core.deps;

  /** Per secret: creator and last writer (no check: the caller has listed these secrets). */
  async function authorsAmong(exec: Executor, ids: readonly string[]) {
    const rows = await repo.authorRows(exec, ids);
    const userIds = [...new Set(rows.flatMap((r) => [r.created_by, r.changed_by]).filter((x): x is string => Boolean(x)))];
    const users = userIds.length
      ? await exec.selectFrom('users').select(['id', 'username', 'first_name', 'last_name', 'status']).where('id', 'in', userIds).execute()
      : [];
    const byId = new Map<string, Author>(
      users.map((u) => [
        u.id,
        { id: u.id, username: u.username, firstName: u.first_name, lastName: u.last_name, active: u.status === 'active' },
      ]),
    );
    const out = new Map<string, { creator: Author | null; modifier: Author | null }>();
    for (const r of rows) {
      const creator = r.created_by ? (byId.get(r.created_by) ?? null) : null;
      out.set(r.id, { creator, modifier: r.changed_by ? (byId.get(r.changed_by) ?? null) : creator });
    }
    return out;
  }

  /** Per E2E secret: its readers now (user ids; no check: the caller has listed these secrets). */
  async function readersAmong(exec: Executor, secrets: ReadonlyArray<{ id: string; parentNodeId: string }>) {
    const out = new Map<string, string[]>();
    const now = clock.now();
    for (const s of secrets) out.set(s.id, await readersOf(exec, now, { secretId: s.id, parentNodeId: s.parentNodeId }));
    return out;
  }

  /** Which of these secrets a group may read (a live `reveal`+ grant to it on the secret or a node it inherits from). */
  async function groupReadsAmong(exec: Executor, groupId: string, secrets: ReadonlyArray<{ id: string; parentNodeId: string }>) {
    const out = new Set<string>();
    const now = clock.now();
    for (const s of secrets) {
      const hit = await exec
        .selectFrom('grants as g')
        .select('g.id')
        .where('g.principal_type', '=', 'group')
        .where('g.principal_id', '=', groupId)
        .where('g.level', '>=', levelRank.reveal)
        .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
        .where((eb) =>
          eb.or([
            eb('g.node_id', '=', s.id),
            eb(
              'g.node_id',
              'in',
              eb
                .selectFrom('tree_paths as t')
                .select('t.ancestor_id')
                .where('t.descendant_id', '=', s.parentNodeId)
                .where('t.inherits', '=', 1),
            ),
          ]),
        )
        .limit(1)
        .executeTakeFirst();
      if (hit) out.add(s.id);
    }
    return out;
  }

  return { authorsAmong, readersAmong, groupReadsAmong };
}
