// Password access requests: the native workflow (request -> approve/reject -> checkout -> checkin)
// in PMP's words. A PMP request is a checkout request: once approved, the requester checks the
// password out, reads it, and checks it in.
import type { AccessRequest } from '@coffer/contracts/workflow';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { list, success } from './envelope.ts';
import { pmpDate } from './ids.ts';
import type { Kit } from './kit.ts';
import { reasonOf } from './passwords.ts';
import { PasswordRequests, StatusDetails } from './responses.ts';

/** PMP's state words. */
export const PMP_STATES: Record<AccessRequest['state'], string> = {
  waiting_for_approval: 'WAITING FOR APPROVAL',
  approved: 'APPROVED',
  checked_out: 'CHECKED OUT',
  checked_in: 'CHECKED IN',
  rejected: 'REJECTED',
  expired: 'EXPIRED',
  cancelled: 'CANCELLED',
  revoked: 'REVOKED',
};

/** How long a request asks for when the client says nothing (capped by the policy's maximum). */
const DEFAULT_MINUTES = 60;

export function requestRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids } = kit;
  const params = (req: FastifyRequest) => req.params as { accountId: string; requesterId?: string };

  /** The waiting (or `state`) request of this requester for this secret that the caller may decide. */
  async function requestOf(req: FastifyRequest, secretId: string, requesterId: string, scope: 'pending' | 'all') {
    const { items } = await deps.workflow.listRequests(req.ctx, { scope, secretId, limit: 100 });
    const r = items.find((x) => x.requesterId === requesterId && (scope === 'all' || x.state === 'waiting_for_approval'));
    if (!r)
      throw new AppError('not_found', 'No password request of this user for this account waits for your approval.', { reason: 'request' });
    return r;
  }

  kit.op(
    instance,
    'GET',
    '/accounts/passwordaccessrequests',
    { name: 'GET_PASSWORDREQUEST', action: 'pmp.requests.list', details: PasswordRequests, totalRows: true },
    async (req) => {
      const { items } = await deps.workflow.listRequests(req.ctx, { scope: 'pending', limit: 200 });
      if (items.length === 0) return list('GET_PASSWORDREQUEST', 'Password Request fetched successfully', []);
      const secretNums = await ids.ofSecrets(items.map((r) => r.secretId));
      const rows = [];
      for (const r of items) {
        // the resource of the account, when the approver may see it
        const s = await deps.secrets.get(req.ctx, r.secretId).catch(() => undefined);
        const nodeId = s ? (s.folderId ?? s.vaultId) : undefined;
        const resourceName = s ? (s.path === '/' ? '' : (s.path.split('/').at(-1) ?? '')) : '';
        rows.push({
          'REQUESTER USERID': await ids.ofUser(r.requesterId),
          'REQUESTED BY': r.requesterName ?? '',
          'ACCOUNT ID': secretNums.get(r.secretId) as string,
          'ACCOUNT NAME': s ? s.username || s.name : r.secretName,
          'RESOURCE ID': nodeId ? await ids.ofNode(nodeId) : '',
          'RESOURCE NAME': resourceName,
          'PASSWD ID': secretNums.get(r.secretId) as string,
          STATUS: PMP_STATES[r.state],
          'REQUESTED TIME': pmpDate(r.createdAt),
          REASON: r.reason,
        });
      }
      const first = rows[0] as (typeof rows)[number];
      const details = {
        'REQUESTER USERID': first['REQUESTER USERID'],
        'REQUESTED BY': first['REQUESTED BY'],
        'REQUESTED BY FULLNAME': first['REQUESTED BY'],
        PASSWORDREQUESTLIST: rows,
      };
      return success('GET_PASSWORDREQUEST', 'Password Request fetched successfully', { totalRows: rows.length, details });
    },
  );

  kit.op(
    instance,
    'POST',
    '/accounts/:accountId/requestpassword',
    { name: 'REQUEST_PASSWORD', action: 'pmp.requests.create', details: StatusDetails },
    async (req, input) => {
      const secretId = await ids.secret(params(req).accountId);
      const policy = await deps.workflow.accessPolicy(req.ctx, secretId);
      const minutes = Math.min(DEFAULT_MINUTES, policy.checkout.maxMinutes.value);
      const r = await deps.workflow.createRequest(req.ctx, {
        secretId,
        action: 'checkout',
        reason: reasonOf(input) ?? 'Requested through the PMP API',
        durationMinutes: minutes,
      });
      return success('REQUEST_PASSWORD', 'Request to view password have been raised successfully', {
        details: { STATUS: PMP_STATES[r.state] },
      });
    },
  );

  for (const [verb, name, message] of [
    ['approve', 'ADMIN_REQUEST_APPROVE', 'Password Approved successfully'],
    ['reject', 'ADMIN_REQUEST_REJECT', 'Password Rejected successfully'],
  ] as const) {
    kit.op(
      instance,
      'POST',
      `/accounts/:accountId/requester/:requesterId/${verb}`,
      { name, action: `pmp.requests.${verb}`, details: null },
      async (req, input) => {
        const secretId = await ids.secret(params(req).accountId);
        const requesterId = await ids.user(params(req).requesterId as string);
        const r = await requestOf(req, secretId, requesterId, 'pending');
        const comment = reasonOf(input);
        await deps.workflow[verb](req.ctx, r.id, comment);
        return success(name, message);
      },
    );
  }

  kit.op(
    instance,
    'POST',
    '/accounts/:accountId/requester/:requesterId/checkin',
    { name: 'ADMIN_REQUEST_CHECKIN', action: 'pmp.requests.admin_checkin', details: null },
    async (req, input) => {
      const secretId = await ids.secret(params(req).accountId);
      const requesterId = await ids.user(params(req).requesterId as string);
      const { items } = await deps.workflow.listCheckouts(req.ctx, { scope: 'visible', secretId });
      if (!items.some((c) => c.holderId === requesterId)) {
        throw new AppError('conflict', 'This user has not checked out the password of this account.', { reason: 'not_checked_out' });
      }
      await deps.workflow.checkin(req.ctx, secretId, { reason: reasonOf(input) ?? 'Checked in by an administrator through the PMP API' });
      return success('ADMIN_REQUEST_CHECKIN', 'Password have been checked in successfully');
    },
  );

  kit.op(
    instance,
    'POST',
    '/accounts/:accountId/checkout',
    { name: 'REQUEST_CHECKOUT', action: 'pmp.requests.checkout', details: StatusDetails },
    async (req, input) => {
      const secretId = await ids.secret(params(req).accountId);
      // the caller's approved checkout request for this account, if there is one
      const { items } = await deps.workflow.listRequests(req.ctx, { scope: 'mine', secretId, state: 'approved', limit: 20 });
      const approved = items.find((r) => r.action === 'checkout');
      const reason = reasonOf(input);
      await deps.workflow.checkout(req.ctx, secretId, { ...(approved ? { requestId: approved.id } : {}), ...(reason ? { reason } : {}) });
      return success('REQUEST_CHECKOUT', 'Password have been checked out successfully', { details: { STATUS: '***** [checkIn]' } });
    },
  );

  kit.op(
    instance,
    'POST',
    '/accounts/:accountId/checkin',
    { name: 'REQUEST_CHECKIN', action: 'pmp.requests.checkin', details: StatusDetails },
    async (req, input) => {
      const secretId = await ids.secret(params(req).accountId);
      const reason = reasonOf(input);
      await deps.workflow.checkin(req.ctx, secretId, reason && reason !== 'N/A' ? { reason } : {});
      return success('REQUEST_CHECKIN', 'Password have been checked in successfully', { details: { STATUS: '[REQUEST]' } });
    },
  );
}
