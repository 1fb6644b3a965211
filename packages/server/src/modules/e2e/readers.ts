// Who must hold a message of an E2E secret: every user whose grants give them `reveal` on it (a
// grant on the secret itself, or on a vault or folder it inherits from; groups expanded; live
// grants only). Password Auditors are capped at `view` and the all-passwords scope gives no reader
// status in an E2E vault (ADR 0022): neither needs, nor gets, a message.
import type { Executor } from '../../db/database.ts';
import { levelRank } from '../access/levels.ts';

/** The readers of a node (vault or folder: a new secret there) or of a secret, sorted by id. */
export async function readersOf(exec: Executor, now: number, target: { secretId?: string; parentNodeId: string }): Promise<string[]> {
  const grants = await exec
    .selectFrom('grants as g')
    .select(['g.principal_type', 'g.principal_id'])
    .where('g.level', '>=', levelRank.reveal)
    .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', now)]))
    .where((eb) =>
      eb.or([
        eb(
          'g.node_id',
          'in',
          eb
            .selectFrom('tree_paths as t')
            .select('t.ancestor_id')
            .where('t.descendant_id', '=', target.parentNodeId)
            .where('t.inherits', '=', 1),
        ),
        ...(target.secretId ? [eb('g.node_id', '=', target.secretId)] : []),
      ]),
    )
    .execute();
  return readersFromGrants(exec, grants);
}

/** The readers the given grants (already live, at `reveal` or more) make: groups expanded, no Password Auditors, sorted by id. */
export async function readersFromGrants(
  exec: Executor,
  grants: ReadonlyArray<{ principal_type: string; principal_id: string }>,
): Promise<string[]> {
  const users = new Set(grants.filter((g) => g.principal_type === 'user').map((g) => g.principal_id));
  const groups = [...new Set(grants.filter((g) => g.principal_type === 'group').map((g) => g.principal_id))];
  if (groups.length) {
    const members = await exec.selectFrom('group_members').select('user_id').where('group_id', 'in', groups).execute();
    for (const m of members) users.add(m.user_id);
  }
  if (!users.size) return [];
  const rows = await exec
    .selectFrom('users')
    .select('id')
    .where('id', 'in', [...users])
    .where('role', '!=', 'password_auditor')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}
