// The rotation state of many secrets at once, for the compatibility APIs' secret shapes (Secret
// Server's heartbeat and password-changing fields, senhasegura's automatic change): read only for
// secrets the caller has already been allowed to see; never a value.
import { sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { HeartbeatStatus, RotationKind, RotationTargetTable } from '../../db/schema-rotation.ts';

export interface RotationState {
  kind: RotationKind;
  heartbeatStatus: HeartbeatStatus;
  lastHeartbeatAt: number | null;
  outOfSync: boolean;
  /** A rotation schedule (rotateDays) is set: the password changes automatically. */
  autoChange: boolean;
  nextRotationAt: number | null;
  /** When the newest rotation began (any outcome). */
  lastAttemptAt: number | null;
  /** When the newest rotation that changed the password settled. */
  lastChangeAt: number | null;
  /** Rotations rolled back since the last one that changed the password. */
  failedAttempts: number;
  /** A rotation is open now. */
  open: boolean;
}

const targetOf = prepared<'id', RotationTargetTable>((db, p) =>
  db.selectFrom('rotation_targets').selectAll().where('secret_id', '=', p('id')),
);

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const CHUNK = 500;

/** The state of each secret that has a rotation target (secrets without one are absent). */
export async function rotationStates(exec: Executor, secretIds: string[]): Promise<Map<string, RotationState>> {
  const out = new Map<string, RotationState>();
  const ids = [...new Set(secretIds)];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    // one secret (a compatibility API's read of one secret: its hot path) by a statement prepared once
    const targets =
      part.length === 1
        ? await targetOf(exec, { id: part[0] as string })
        : await exec.selectFrom('rotation_targets').selectAll().where('secret_id', 'in', part).execute();
    if (targets.length === 0) continue;
    const withTarget = targets.map((t) => t.secret_id);
    const agg = await exec
      .selectFrom('rotation_journal')
      .select((eb) => [
        'secret_id',
        eb.fn.max('created_at').as('last_attempt'),
        eb.fn.max(sql<number | null>`case when state = 'done' then settled_at end`).as('last_done'),
        eb.fn.max('active').as('open'),
      ])
      .where('secret_id', 'in', withTarget)
      .groupBy('secret_id')
      .execute();
    const failed = await exec
      .selectFrom('rotation_journal as j')
      .select((eb) => ['j.secret_id', eb.fn.countAll().as('n')])
      .where('j.secret_id', 'in', withTarget)
      .where('j.state', '=', 'rolled_back')
      .where(
        'j.created_at',
        '>',
        sql<number>`coalesce((select max(d.settled_at) from rotation_journal d where d.secret_id = j.secret_id and d.state = 'done'), 0)`,
      )
      .groupBy('j.secret_id')
      .execute();
    const aggOf = new Map(agg.map((a) => [a.secret_id, a]));
    const failedOf = new Map(failed.map((f) => [f.secret_id, Number(f.n)]));
    for (const t of targets) {
      const a = aggOf.get(t.secret_id);
      out.set(t.secret_id, {
        kind: t.kind,
        heartbeatStatus: t.last_heartbeat_status,
        lastHeartbeatAt: num(t.last_heartbeat_at),
        outOfSync: Number(t.out_of_sync) === 1,
        autoChange: t.rotate_days !== null,
        nextRotationAt: num(t.next_rotation_at),
        lastAttemptAt: num(a?.last_attempt),
        lastChangeAt: num(a?.last_done),
        failedAttempts: failedOf.get(t.secret_id) ?? 0,
        open: Number(a?.open ?? 0) === 1,
      });
    }
  }
  return out;
}
