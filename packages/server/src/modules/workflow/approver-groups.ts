import type { Approver } from '@coffer/contracts/workflow';
import type { Executor } from '../../db/database.ts';

/**
 * Does an access request still waiting for approval name the group among its approvers? A request
 * keeps the approvers its policy named when it was filed, so a group the policy no longer names can
 * still approve it: adding a member to it is gated until those requests are decided (ADR 0010).
 * The LIKE only narrows the rows; each candidate is checked exactly.
 */
export async function waitingRequestNamesGroup(exec: Executor, groupId: string): Promise<boolean> {
  const rows = await exec
    .selectFrom('access_requests')
    .select('approvers')
    .where('state', '=', 'waiting_for_approval')
    .where('approvers', 'like', `%${groupId}%`)
    .execute();
  return rows.some((r) => {
    try {
      return (JSON.parse(r.approvers) as Approver[]).some((a) => a.type === 'group' && a.id === groupId);
    } catch {
      return true; // unreadable: fail closed (gated)
    }
  });
}
