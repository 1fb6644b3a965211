// Admin requests in the CLI (dual control, ADR 0010): listing them with the access requests,
// approving or rejecting them (coffer approve|reject adm_…), executing one's own approved request
// (coffer requests execute adm_…), and what a gated administration command prints.
import {
  type AdminRequest,
  type AdminRequestQuery,
  type AdminRequestState,
  type CofferClient,
  isPendingApproval,
  type PendingApproval,
} from '@coffer/sdk/client';
import { CliError, out, outJson, UsageError } from '../cli.ts';
import { CLIENT_EXIT } from '../client.ts';
import { readReauth } from '../reauth.ts';
import { table, when } from '../workflow-view.ts';

export const ADMIN_REQUEST_ID = /^adm_[0-9a-z]{26}$/;

const ADMIN_STATES: readonly AdminRequestState[] = ['waiting_for_approval', 'approved', 'rejected', 'cancelled', 'expired', 'executed'];

/** What another administrator and the requester run next. */
export function nextSteps(id: string): string {
  return `they run: coffer approve ${id}; then you run: coffer requests execute ${id}`;
}

/**
 * For the administration commands whose call may be gated: the result when it was done; when it
 * became an admin request, prints it (--json: the PendingApproval on stdout) and fails with exit 8
 * and "needs another administrator's approval: request adm_… (they run: …; then you run: …)".
 */
export function settleGated<T>(r: T | PendingApproval, opts: { json?: boolean } = {}): T {
  if (!isPendingApproval(r)) return r;
  if (opts.json) outJson(r);
  const id = r.request.id;
  throw new CliError(`needs another administrator's approval: request ${id} (${nextSteps(id)})`, CLIENT_EXIT.approvalRequired);
}

export async function listAdminRequests(client: CofferClient, scope: 'mine' | 'pending' | 'all', state?: string): Promise<AdminRequest[]> {
  if (state !== undefined && !(ADMIN_STATES as readonly string[]).includes(state)) return [];
  const query: AdminRequestQuery = { scope, limit: 500, ...(state ? { state: state as AdminRequestState } : {}) };
  const all: AdminRequest[] = [];
  for await (const r of client.adminRequests.listAll(query)) all.push(r);
  return all;
}

export function adminRequestsTable(items: AdminRequest[]): string {
  return table(
    ['ID', 'STATE', 'OPERATION', 'REQUESTER', 'EXPIRES', 'REASON'],
    items.map((r) => [
      r.id,
      r.stateLabel,
      r.summary.replace(/\s+/g, ' '),
      r.requesterName ?? r.requesterId,
      r.state === 'waiting_for_approval' || r.state === 'approved' ? when(r.expiresAt) : '-',
      (r.reason ?? '').replace(/\s+/g, ' '),
    ]),
  );
}

export async function decideAdmin(
  client: CofferClient,
  id: string,
  decision: 'approve' | 'reject',
  comment: string | undefined,
  json: boolean,
): Promise<number> {
  const opts = comment !== undefined ? { comment } : {};
  const r = decision === 'approve' ? await client.adminRequests.approve(id, opts) : await client.adminRequests.reject(id, opts);
  if (json) {
    outJson(r);
    return CLIENT_EXIT.ok;
  }
  const who = r.requesterName ?? r.requesterId;
  const then = r.state === 'approved' ? ` ${who} can now run: coffer requests execute ${r.id}` : '';
  out(`${decision === 'approve' ? 'Approved' : 'Rejected'} ${r.id} (${r.summary}, asked by ${who}): ${r.stateLabel}.${then}`);
  return CLIENT_EXIT.ok;
}

export async function executeAdmin(client: CofferClient, id: string, json: boolean): Promise<number> {
  if (!ADMIN_REQUEST_ID.test(id)) throw new UsageError(`"${id}" is not an admin request id (adm_…): see coffer requests`);
  // an API key is minted now: confirm with your password (and code), as for a direct creation
  const asked = await client.adminRequests.get(id);
  const proof = asked.operation.type === 'apikey.create' ? await readReauth(client) : {};
  const r = await client.adminRequests.execute(id, proof);
  if (json) {
    outJson(r);
    return CLIENT_EXIT.ok;
  }
  const lines = [`Executed ${r.request.id}: ${r.request.summary}.`];
  if (r.user) lines.push(`User ${r.user.username} (${r.user.id}), ${r.user.role.replace('_', ' ')}, ${r.user.status}.`);
  if (r.apiKey) lines.push(`API key ${r.apiKey.apiKey.id} (shown once, store it now): ${r.apiKey.key}`);
  out(lines.join('\n'));
  return CLIENT_EXIT.ok;
}

/** Refuses what is neither an access request id nor an admin request id. */
export function anyRequestId(raw: string, access: RegExp): 'access' | 'admin' {
  if (access.test(raw)) return 'access';
  if (ADMIN_REQUEST_ID.test(raw)) return 'admin';
  throw new UsageError(`"${raw}" is not a request id (arq_… or adm_…): see coffer requests`);
}
