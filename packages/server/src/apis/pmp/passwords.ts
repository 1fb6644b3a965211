// Passwords: read one (a reveal through the same workflow gate as the native API), change one
// (LOCAL: stored as a new version; REMOTE: changed on the rotation target, then stored), generate one by
// a PMP policy name.
import type { PasswordPolicy } from '@coffer/contracts/passwords';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { success } from './envelope.ts';
import type { PmpInput } from './input.ts';
import type { Kit } from './kit.ts';
import { PasswordDetails } from './responses.ts';

/** PMP's built-in policy names -> Coffer password policies (a vault's own policy is not consulted). */
export const PMP_POLICIES: Record<string, PasswordPolicy> = {
  low: { length: 8, symbols: false, minPerClass: 0 },
  medium: { length: 12, symbols: false },
  strong: { length: 16 },
  'offline password file': { length: 16 },
};

/** REASON, with a TICKETID kept beside it (Coffer has no ticketing system to check it against). */
export function reasonOf(input: PmpInput): string | undefined {
  const reason = input.text('REASON');
  const ticket = input.text('TICKETID');
  const text = ticket ? `${reason}${reason ? ' ' : ''}[ticket ${ticket}]` : reason;
  return text ? text.slice(0, 500) : undefined;
}

export function passwordRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids } = kit;

  kit.op(
    instance,
    'GET',
    '/resources/:resourceId/accounts/:accountId/password',
    { name: 'GET PASSWORD', action: 'pmp.password.read', details: PasswordDetails },
    async (req, input) => {
      const { resourceId, accountId } = req.params as { resourceId: string; accountId: string };
      const nodeId = await ids.resourceNode(resourceId);
      const secretId = await ids.secret(accountId);
      const reason = reasonOf(input);
      const r = await deps.secrets.reveal(req.ctx, secretId, { fields: ['password'], within: nodeId, ...(reason ? { reason } : {}) });
      const password = r.values.password;
      if (password === undefined) throw new AppError('not_found', 'This account has no password.', { reason: 'password' });
      return success('GET PASSWORD', 'Password fetched successfully', { details: { PASSWORD: password } });
    },
  );

  kit.op(
    instance,
    'PUT',
    '/resources/:resourceId/accounts/:accountId/password',
    { name: 'CHANGE PASSWORD', action: 'pmp.password.change', details: null },
    async (req, input) => {
      const { resourceId, accountId } = req.params as { resourceId: string; accountId: string };
      const nodeId = await ids.resourceNode(resourceId);
      const secretId = await ids.secret(accountId);
      const type = (input.text('RESETTYPE') || 'LOCAL').toUpperCase();
      const newPassword = input.param('NEWPASSWORD');
      if (type !== 'LOCAL' && type !== 'REMOTE')
        throw new AppError('validation.failed', 'RESETTYPE must be LOCAL or REMOTE.', { reason: 'input' });
      if (!newPassword) throw new AppError('validation.failed', 'NEWPASSWORD is mandatory.', { reason: 'input' });
      if (newPassword.length > 65536) throw new AppError('validation.failed', 'NEWPASSWORD is too long.', { reason: 'input' });
      const s = await deps.secrets.get(req.ctx, secretId);
      if ((s.folderId ?? s.vaultId) !== nodeId) throw new AppError('not_found', 'No such account.', { reason: 'account' });
      const reason = reasonOf(input);
      // REMOTE: changed on the account's rotation target first (journal, verified), then stored
      await deps.workflow.setPassword(req.ctx, secretId, {
        password: newPassword,
        where: type === 'REMOTE' ? 'remote' : 'local',
        ...(reason ? { reason } : {}),
      });
      return success('CHANGE PASSWORD', 'Password changed successfully');
    },
  );

  kit.op(
    instance,
    ['GET', 'POST'],
    '/passwords/generate',
    { name: 'GENERATE PASSWORD', action: 'pmp.password.generate', details: PasswordDetails },
    async (req, input) => {
      const name = input.text('POLICY') || 'Strong';
      const policy = PMP_POLICIES[name.toLowerCase()];
      if (!policy) throw new AppError('validation.failed', `No password policy named ${name}.`, { reason: 'policy' });
      const { passwords } = await deps.passwords.generate(req.ctx, { policy, count: 1 });
      return success('GENERATE PASSWORD', 'Password generated successfully', { details: { PASSWORD: passwords[0] } });
    },
  );
}
