import type { AdminOperation, AdminRequest, AdminRequestState } from '@coffer/contracts/admin-requests';
import type { Executor } from '../../db/database.ts';
import type { AdminRequestTable } from '../../db/schema.ts';

const iso = (ms: number) => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const stateLabels: Record<AdminRequestState, string> = {
  waiting_for_approval: 'waiting for approval',
  approved: 'approved',
  rejected: 'rejected',
  cancelled: 'cancelled',
  expired: 'expired',
  executed: 'executed',
};

/**
 * The state at `now`: a waiting or approved request past its deadline reads as expired before the
 * sweep has stored it, so answers never depend on when the sweep last ran.
 */
export function effectiveState(r: Pick<AdminRequestTable, 'state' | 'expires_at'>, now: number): AdminRequestState {
  if ((r.state === 'waiting_for_approval' || r.state === 'approved') && Number(r.expires_at) <= now) return 'expired';
  return r.state;
}

export function operationOf(r: Pick<AdminRequestTable, 'operation' | 'params'>): AdminOperation {
  return { type: r.operation, ...JSON.parse(r.params) } as AdminOperation;
}

/** What executing the operation does, in words (names looked up now; ids when gone). */
export function summarize(op: AdminOperation, users: Map<string, string>, groups: Map<string, string>): string {
  const user = (id: string) => `"${users.get(id) ?? id}"`;
  switch (op.type) {
    case 'user.create': {
      const role = op.user.role.replace('_', ' ');
      const scope = op.user.allPasswords ? ' with the all-passwords scope' : '';
      const pw = op.temporaryPassword ? ' (temporary password: to be changed at the first login)' : '';
      const host = op.user.boundHost ? ` bound to the host ${op.user.boundHost}` : '';
      return `create the ${op.user.kind === 'api' ? 'API user' : role} "${op.user.username}"${op.user.kind === 'api' ? ` (${role})` : ''}${host}${scope}${pw}`;
    }
    case 'user.update': {
      const parts: string[] = [];
      if (op.patch.role !== undefined) parts.push(`role ${op.patch.role.replace('_', ' ')}`);
      if (op.patch.allPasswords !== undefined) parts.push(`all-passwords scope ${op.patch.allPasswords ? 'on' : 'off'}`);
      const others = Object.keys(op.patch).filter((k) => k !== 'role' && k !== 'allPasswords');
      if (others.length) parts.push(`fields ${others.join(', ')}`);
      return `change user ${user(op.userId)}: ${parts.join('; ')}`;
    }
    case 'user.enable':
      return `enable user ${user(op.userId)}`;
    case 'user.disable':
      return `disable user ${user(op.userId)}`;
    case 'user.delete':
      return `delete user ${user(op.userId)}`;
    case 'user.password_reset':
      return `set the password of ${user(op.userId)} (temporary: to be changed at the next login)`;
    case 'group.member_add':
      return `add ${user(op.userId)} to the group "${groups.get(op.groupId) ?? op.groupId}"`;
    case 'apikey.create':
      return `create the API key "${op.apiKey.name}" for ${user(op.userId)} (from ${op.apiKey.allowedCidrs.join(', ')}, expires ${op.apiKey.expiresAt})`;
  }
}

export async function presentRequests(exec: Executor, rows: AdminRequestTable[], now: number): Promise<AdminRequest[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const approvals = await exec.selectFrom('admin_approvals').selectAll().where('request_id', 'in', ids).orderBy('created_at').execute();
  const ops = rows.map(operationOf);
  const userIds = new Set<string>([...rows.map((r) => r.requester_id), ...approvals.map((a) => a.approver_id)]);
  const groupIds = new Set<string>();
  for (const op of ops) {
    if ('userId' in op) userIds.add(op.userId);
    if (op.type === 'group.member_add') groupIds.add(op.groupId);
  }
  const users = new Map(
    (
      await exec
        .selectFrom('users')
        .select(['id', 'username'])
        .where('id', 'in', [...userIds])
        .execute()
    ).map((u) => [u.id, u.username]),
  );
  const groups = groupIds.size
    ? new Map(
        (
          await exec
            .selectFrom('groups')
            .select(['id', 'name'])
            .where('id', 'in', [...groupIds])
            .execute()
        ).map((g) => [g.id, g.name]),
      )
    : new Map<string, string>();
  return rows.map((r, i) => {
    const state = effectiveState(r, now);
    const op = ops[i] as AdminOperation;
    return {
      id: r.id,
      operation: op,
      summary: summarize(op, users, groups),
      reason: r.reason,
      requesterId: r.requester_id,
      requesterName: users.get(r.requester_id) ?? null,
      state,
      stateLabel: stateLabels[state],
      approvalsRequired: Number(r.approvals_required),
      approvals: approvals
        .filter((a) => a.request_id === r.id)
        .map((a) => ({
          approverId: a.approver_id,
          approverName: users.get(a.approver_id) ?? null,
          decision: a.decision,
          comment: a.comment,
          at: iso(a.created_at),
        })),
      decidedBy: r.decided_by,
      decidedAt: isoOrNull(r.decided_at),
      comment: r.comment,
      executedAt: isoOrNull(r.executed_at),
      resultId: r.result_id,
      expiresAt: iso(r.expires_at),
      createdAt: iso(r.created_at),
    };
  });
}
