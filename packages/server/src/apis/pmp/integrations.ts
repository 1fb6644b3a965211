// Operations PMP's own integrations call besides the documented REST API: the Ansible lookup's
// `getResourceAccountDetails` (resource and account details with the password in one answer, the
// account part a JSON document inside a string, `PASSWORD_REASON` when the password cannot be
// given) and the resource types (what integrations call to test their connection).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { messageOf, statusOf, success } from './envelope.ts';
import type { Kit } from './kit.ts';
import { reasonOf } from './passwords.ts';
import { ResourceAccountDetails, ResourceTypeRows } from './responses.ts';

/** PMP's built-in resource types; the types of the caller's resources come first. */
export const BUILTIN_RESOURCE_TYPES = [
  'Windows',
  'WindowsDomain',
  'Linux',
  'Solaris',
  'HP-UX',
  'AIX',
  'Mac',
  'Cisco IOS',
  'Juniper Netscreen',
  'Oracle DB Server',
  'MS SQL Server',
  'MySQL Server',
  'PostgreSQL',
  'VMware ESXi',
  'Web Site Accounts',
  'License Store',
  'Generic Keys',
  'File Store',
];

/** A gate of the workflow (reason, approval, checkout) answers PASSWORD_REASON; what is missing or
 * hidden, a bad token and server faults stay a failed operation. */
function isGate(e: unknown): e is AppError {
  return e instanceof AppError && e.code !== 'not_found' && !e.code.startsWith('auth.') && statusOf(e) === 200;
}

export function integrationRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids, resources } = kit;

  kit.op(
    instance,
    'GET',
    '/resources/getResourceAccountDetails',
    { name: 'GET_RESOURCEACCOUNTDETAILS', action: 'pmp.accounts.read_with_password', details: ResourceAccountDetails },
    async (req, input) => {
      const resourceId = input.text('RESOURCEID');
      const accountId = input.text('ACCOUNTID');
      if (!resourceId || !accountId) {
        throw new AppError('validation.failed', 'RESOURCEID and ACCOUNTID are mandatory.', { reason: 'input' });
      }
      const nodeId = await ids.resourceNode(resourceId);
      const secretId = await ids.secret(accountId);
      const { resource: r, accounts } = await resources.getResource(req.ctx, nodeId);
      const account = accounts.find((a) => a.id === secretId);
      if (!account) throw new AppError('not_found', 'No such account.', { reason: 'account' });
      const name = account.username || account.name;
      let accountDetails: Record<string, string>;
      try {
        const reason = reasonOf(input);
        const v = await deps.secrets.reveal(req.ctx, secretId, { fields: ['password'], within: nodeId, ...(reason ? { reason } : {}) });
        accountDetails = { 'ACCOUNT ID': accountId, 'ACCOUNT NAME': name, PASSWORD: v.values.password ?? '' };
      } catch (e) {
        if (!isGate(e)) throw e;
        accountDetails = { 'ACCOUNT ID': accountId, 'ACCOUNT NAME': name, PASSWORD_REASON: messageOf(e) };
      }
      const a = r.attributes;
      return success('GET_RESOURCEACCOUNTDETAILS', 'Resource and account details fetched successfully', {
        details: {
          RESOURCEDETAILS: {
            'RESOURCE ID': await ids.ofNode(r.nodeId),
            'RESOURCE NAME': r.name,
            'RESOURCE TYPE': a['Resource type'] ?? '',
            'RESOURCE DESCRIPTION': a.Description ?? '',
            'DNS NAME': a['DNS name'] ?? '',
            'RESOURCE URL': a['Resource URL'] ?? '',
          },
          // a JSON document in a string, as PMP answers it (its Ansible lookup parses it again)
          ACCOUNTDETAILS: JSON.stringify(accountDetails),
        },
      });
    },
  );

  kit.op(
    instance,
    'GET',
    '/resources/resourcetypes',
    { name: 'GET RESOURCE TYPES', action: 'pmp.resources.types', details: ResourceTypeRows, totalRows: true },
    async (req, input) => {
      const { items } = await resources.listResources(req.ctx);
      const types = [...new Set([...items.map((r) => r.attributes['Resource type'] ?? '').filter(Boolean), ...BUILTIN_RESOURCE_TYPES])];
      // RESOURCETYPE_CONTAINING: a word or a list of words, matched without regard to case
      const raw = input.details.RESOURCETYPE_CONTAINING ?? input.param('RESOURCETYPE_CONTAINING');
      const words = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
        .map((w) => String(w).trim().toLowerCase())
        .filter(Boolean)
        .slice(0, 20);
      const chosen = words.length ? types.filter((t) => words.some((w) => t.toLowerCase().includes(w))) : types;
      const rows = chosen.map((t) => ({ 'RESOURCE TYPE': t, RESOURCETYPE: t }));
      return success('GET RESOURCE TYPES', 'Resource types fetched successfully', {
        totalRows: rows.length,
        ...(rows.length ? { details: rows } : {}),
      });
    },
  );
}
