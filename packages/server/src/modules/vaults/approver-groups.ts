import type { AccessPolicy } from '@coffer/contracts/vaults';
import type { Approver } from '@coffer/contracts/workflow';
import type { Executor } from '../../db/database.ts';

/** Does this stored policy (JSON text of a vault or folder) name the group among its approvers? */
export function policyNamesGroup(policy: string, groupId: string): boolean {
  let p: AccessPolicy;
  try {
    p = JSON.parse(policy) as AccessPolicy;
  } catch {
    // an unreadable policy cannot be proven innocent: treat it as naming the group (fail closed)
    return true;
  }
  const approvers: Approver[] = p.approval?.approvers ?? [];
  return approvers.some((a) => a.type === 'group' && a.id === groupId);
}

/**
 * Is the group named as an approver in the access policy of any vault or folder? Its members may
 * then approve access requests, so adding someone to it is gated like adding them to a group that
 * holds a grant (ADR 0010). The LIKE only narrows the rows (its `_` matches any character, SQLite's
 * ignores case): every candidate's policy is parsed and checked exactly.
 */
export async function isGroupNamedApprover(exec: Executor, groupId: string): Promise<boolean> {
  const pattern = `%${groupId}%`;
  const vaults = await exec.selectFrom('vaults').select('policy').where('policy', 'like', pattern).execute();
  if (vaults.some((v) => policyNamesGroup(v.policy, groupId))) return true;
  const folders = await exec.selectFrom('folders').select('policy').where('policy', 'like', pattern).execute();
  return folders.some((f) => policyNamesGroup(f.policy, groupId));
}
