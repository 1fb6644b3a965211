// Accounts of a resource (with the resource's details), one account's details, adding accounts.

import { sensitiveTypes } from '@coffer/contracts/secrets';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { accountOf, accountPolicy, createAccount } from './accounts-write.ts';
import { customFieldEntry, presentCustomFields } from './custom-fields.ts';
import { success } from './envelope.ts';
import { pmpDate } from './ids.ts';
import { pick } from './input.ts';
import type { Kit } from './kit.ts';
import { AccountDetails, AddAccountsResults, ResourceAccountList } from './responses.ts';

export function accountRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids, resources } = kit;

  /** The secrets of these ids that someone holds checked out now (PMP's "[ In use ]"). */
  async function inUse(req: { ctx: Parameters<typeof deps.workflow.listCheckouts>[0] }, secretIds: string[]) {
    if (secretIds.length === 0) return new Set<string>();
    const { items } = await deps.workflow.listCheckouts(req.ctx, { scope: 'visible' });
    return new Set(items.filter((c) => secretIds.includes(c.secretId)).map((c) => c.secretId));
  }

  kit.op(
    instance,
    'GET',
    '/resources/:resourceId/accounts',
    { name: 'GET RESOURCE ACCOUNTLIST', action: 'pmp.accounts.list', details: ResourceAccountList },
    async (req) => {
      const { resourceId } = req.params as { resourceId: string };
      const nodeId = await ids.resourceNode(resourceId);
      const { resource: r, accounts, requireReason } = await resources.getResource(req.ctx, nodeId);
      const numbers = await ids.ofSecrets(accounts.map((a) => a.id));
      const busy = await inUse(
        req,
        accounts.map((a) => a.id),
      );
      const list = accounts.map((a) => {
        const id = numbers.get(a.id) as string;
        return {
          'ACCOUNT ID': id,
          'ACCOUNT NAME': a.username || a.name,
          PASSWDID: id,
          'PASSWORD STATUS': busy.has(a.id) ? '[ In use ]' : '****',
          'ACCOUNT PASSWORD POLICY': r.attributes['Password policy'] ?? 'Strong',
          ISFAVPASS: 'false',
          ISREASONREQUIRED: String(requireReason),
          IS_TICKETID_REQD: 'false',
          IS_TICKETID_REQD_MANDATORY: 'false',
          IS_TICKETID_REQD_ACW: 'false',
        };
      });
      const a = r.attributes;
      const details = {
        'RESOURCE ID': await ids.ofNode(r.nodeId),
        'RESOURCE NAME': r.name,
        'RESOURCE DESCRIPTION': a.Description ?? '',
        'RESOURCE TYPE': a['Resource type'] ?? '',
        'DNS NAME': a['DNS name'] ?? '',
        'DOMAIN NAME': a['Domain name'] ?? '',
        'RESOURCE URL': a['Resource URL'] ?? '',
        LOCATION: a.Location ?? '',
        DEPARTMENT: a.Department ?? '',
        'RESOURCE OWNER': a.Owner ?? '',
        'RESOURCE GROUP': a['Resource group'] ?? '',
        'RESOURCE PASSWORD POLICY': a['Password policy'] ?? 'Strong',
        // the name of PMP's reference sample, which pv2b/kenny reads
        'PASSWORD POLICY': a['Password policy'] ?? 'Strong',
        ...customFieldEntry(presentCustomFields(r.customFields)),
        'ACCOUNT LIST': list,
      };
      return success('GET RESOURCE ACCOUNTLIST', 'Resource details with account list fetched successfully', { details });
    },
  );

  kit.op(
    instance,
    'GET',
    '/resources/:resourceId/accounts/:accountId',
    { name: 'GET RESOURCE ACCOUNT DETAILS', action: 'pmp.accounts.read', details: AccountDetails },
    async (req) => {
      const { resourceId, accountId } = req.params as { resourceId: string; accountId: string };
      const nodeId = await ids.resourceNode(resourceId);
      const secretId = await ids.secret(accountId);
      const s = await deps.secrets.get(req.ctx, secretId);
      if ((s.folderId ?? s.vaultId) !== nodeId) throw new AppError('not_found', 'No such account.', { reason: 'account' });
      const busy = await inUse(req, [s.id]);
      const expired = s.expiresAt !== null && Date.parse(s.expiresAt) <= Date.now();
      const details = {
        'ACCOUNT NAME': s.username || s.name,
        PASSWDID: accountId,
        DESCRIPTION: s.description || 'N/A',
        'LAST MODIFIED TIME': pmpDate(s.updatedAt),
        'LAST ACCESSED TIME': 'N/A',
        'EXPIRY STATUS': expired ? 'Expired' : 'Valid',
        'PASSWORD STATUS': busy.has(s.id) ? '[ In use ]' : '****',
        'PASSWORD POLICY': await accountPolicy(kit, req.ctx, s.id),
        'COMPLIANT STATUS': 'Compliant',
        'COMPLIANT REASON': '-',
        ...customFieldEntry(
          presentCustomFields(s.customFields.map((c) => ({ label: c.name, value: c.value, sensitive: sensitiveTypes.includes(c.type) }))),
        ),
      };
      return success('GET RESOURCE ACCOUNT DETAILS', 'Account details fetched successfully', { details });
    },
  );

  kit.op(
    instance,
    'POST',
    '/resources/:resourceId/accounts',
    { name: 'ADD ACCOUNTS', action: 'pmp.accounts.add', details: AddAccountsResults },
    async (req, input) => {
      const { resourceId } = req.params as { resourceId: string };
      const nodeId = await ids.resourceNode(resourceId);
      const { resource } = await resources.getResource(req.ctx, nodeId);
      const raw = pick(input.details, 'ACCOUNTLIST');
      const entries = Array.isArray(raw) ? raw : raw === undefined ? [input.details] : [raw];
      if (entries.length === 0 || entries.length > 100) {
        throw new AppError('validation.failed', 'ACCOUNTLIST holds 1 to 100 accounts.', { reason: 'input' });
      }
      const accounts = entries.map((e, i) => accountOf(e, `/ACCOUNTLIST/${i}`));
      const where = { vaultId: resource.vaultId, folderId: resource.kind === 'folder' ? resource.nodeId : null };
      const results: Array<Record<string, { STATUS: string }>> = [];
      let added = 0;
      for (const a of accounts) {
        try {
          await createAccount(kit, req.ctx, where, a);
          added++;
          results.push({ [a.name]: { STATUS: 'Account added successfully' } });
        } catch (e) {
          if (!(e instanceof AppError) || e.code === 'internal') throw e;
          results.push({ [a.name]: { STATUS: `Failed: ${e.message}` } });
        }
      }
      if (added === 0) {
        const first = Object.values(results[0] ?? {})[0]?.STATUS ?? 'Failed';
        throw new AppError('validation.failed', first.replace(/^Failed: /, ''), { reason: 'input' });
      }
      return success('ADD ACCOUNTS', 'Account(s) added successfully', { details: results });
    },
  );
}
