// Resources: list (owned and shared), create (with its first account), delete, and the ids of a
// resource and an account by their names (both URL forms).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { createAccount, type NewAccount, parseCustomFields, RESOURCE_ATTRIBUTES, setAttributes } from './accounts-write.ts';
import { list, success } from './envelope.ts';
import { asText, type PmpInput, pick } from './input.ts';
import type { Kit } from './kit.ts';
import { ResourceAccountIdDetails, ResourceIdDetails, ResourceRows } from './responses.ts';
import { pmpVault } from './vault.ts';

const invalid = (message: string, path: string) =>
  new AppError('validation.failed', message, { reason: 'input', details: [{ path, message }] });

/** The mandatory fields of a new resource, and its first account. */
function newResource(input: PmpInput) {
  const d = input.details;
  const name = asText(pick(d, 'RESOURCENAME'));
  const account = asText(pick(d, 'ACCOUNTNAME'));
  const type = asText(pick(d, 'RESOURCETYPE'));
  const password = pick(d, 'PASSWORD');
  if (!name) throw invalid('RESOURCENAME is mandatory.', '/RESOURCENAME');
  if (!account) throw invalid('ACCOUNTNAME is mandatory.', '/ACCOUNTNAME');
  if (!type) throw invalid('RESOURCETYPE is mandatory.', '/RESOURCETYPE');
  if (typeof password !== 'string' || password === '') throw invalid('PASSWORD is mandatory.', '/PASSWORD');
  if (/[\\/]/.test(name)) throw invalid('A resource name cannot hold a slash or a backslash.', '/RESOURCENAME');
  const attributes: Record<string, string> = {};
  for (const [key, label] of RESOURCE_ATTRIBUTES) {
    const v = asText(pick(d, key));
    if (v) attributes[label] = v;
  }
  // clients send the custom fields at the top of Details, or inside an ACCOUNTLIST-like block
  const resourceCustom = parseCustomFields(pick(d, 'RESOURCECUSTOMFIELD'), '/RESOURCECUSTOMFIELD');
  const first: NewAccount = {
    name: account,
    password,
    notes: asText(pick(d, 'NOTES')),
    policy: asText(pick(d, 'ACCOUNTPASSWORDPOLICY')),
    host: asText(pick(d, 'DNSNAME')),
    customFields: parseCustomFields(pick(d, 'ACCOUNTCUSTOMFIELD'), '/ACCOUNTCUSTOMFIELD'),
  };
  return { name, attributes: { 'Resource type': type, ...attributes }, resourceCustom, first };
}

export function resourceRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids, resources } = kit;

  kit.op(
    instance,
    'GET',
    '/resources',
    { name: 'GET RESOURCES', action: 'pmp.resources.list', details: ResourceRows, totalRows: true },
    async (req) => {
      const { items, total } = await resources.listResources(req.ctx);
      const numbers = await ids.ofNodes(items.map((r) => r.nodeId));
      const rows = items.map((r) => ({
        'RESOURCE ID': numbers.get(r.nodeId) as string,
        'RESOURCE NAME': r.name,
        'RESOURCE DESCRIPTION': r.attributes.Description ?? '',
        'RESOURCE TYPE': r.attributes['Resource type'] ?? '',
        NOOFACCOUNTS: String(r.accounts),
      }));
      return list('GET RESOURCES', 'Resources fetched successfully', rows, total);
    },
  );

  kit.op(instance, 'POST', '/resources', { name: 'CREATE RESOURCE', action: 'pmp.resources.create', details: null }, async (req, input) => {
    const r = newResource(input);
    // one create of a name at a time, on every node (ADR 0016): the others find it and answer
    // PMP's "already exists"
    return deps.naturalKeys.serialize('pmp.resource', r.name.toLowerCase(), () => create(req, r));
  });

  async function create(req: Parameters<Parameters<Kit['op']>[4]>[0], r: ReturnType<typeof newResource>) {
    const vaultId = await pmpVault(kit, req.ctx);
    const folder = await deps.vaults.createFolder(req.ctx, { vaultId, name: r.name }).catch((e: unknown) => {
      if (e instanceof AppError && e.code === 'conflict') {
        throw new AppError('conflict', `Resource ${r.name} already exists.`, { reason: 'resource_exists' });
      }
      throw e;
    });
    try {
      await setAttributes(kit, req.ctx, folder.id, r.attributes, r.resourceCustom);
      await createAccount(kit, req.ctx, { vaultId, folderId: folder.id }, r.first);
    } catch (e) {
      // a resource is created whole or not at all: undo the folder (its secrets go to the trash)
      await deps.vaults.deleteFolder(req.ctx, folder.id, true).catch(() => {});
      throw e;
    }
    return success('CREATE RESOURCE', `Resource ${r.name} has been added successfully`);
  }

  kit.op(
    instance,
    'DELETE',
    '/resources/:resourceId',
    { name: 'DELETE RESOURCE', action: 'pmp.resources.delete', details: null },
    async (req) => {
      const { resourceId } = req.params as { resourceId: string };
      const nodeId = await ids.resourceNode(resourceId);
      // visible like the accounts list; a vault top is not deleted through PMP
      await resources.getResource(req.ctx, nodeId);
      if (nodeId.startsWith('vlt_')) {
        throw new AppError('conflict', 'This resource is the top of a vault; delete it with the native API.', { reason: 'vault_resource' });
      }
      await deps.vaults.deleteFolder(req.ctx, nodeId, true);
      return success('DELETE RESOURCE', 'Resources deleted successfully.');
    },
  );

  kit.op(
    instance,
    'GET',
    '/resources/resourcename/:resourceName',
    { name: 'GET_RESOURCEID', action: 'pmp.resources.id', details: ResourceIdDetails },
    async (req) => {
      const { resourceName } = req.params as { resourceName: string };
      const nodeId = await resources.resourceByName(req.ctx, resourceName);
      return success('GET_RESOURCEID', 'Resource ID fetched successfully for the given resource name', {
        details: { RESOURCEID: await ids.ofNode(nodeId) },
      });
    },
  );

  async function accountIds(req: Parameters<Parameters<Kit['op']>[4]>[0], resourceName: string, accountName: string) {
    if (!resourceName.trim() || !accountName.trim()) {
      throw invalid('RESOURCENAME and ACCOUNTNAME are mandatory.', '/RESOURCENAME');
    }
    const found = await deps.lookup.pmp(req.ctx, { resourceName, accountName });
    return { RESOURCEID: await ids.ofNode(found.resourceId), ACCOUNTID: await ids.ofSecret(found.accountId) };
  }

  kit.op(
    instance,
    'GET',
    '/resources/resourcename/:resourceName/accounts/accountname/:accountName',
    { name: 'GET_RESOURCEACCOUNTNAME', action: 'pmp.resources.account_id', details: ResourceAccountIdDetails },
    async (req) => {
      const { resourceName, accountName } = req.params as { resourceName: string; accountName: string };
      return success('GET_RESOURCEACCOUNTNAME', 'Resource id and account id fetched successfully for the given resource name', {
        details: await accountIds(req, resourceName, accountName),
      });
    },
  );

  kit.op(
    instance,
    'GET',
    '/resources/getResourceIdAccountId',
    { name: 'GET_RESOURCEACCOUNTID', action: 'pmp.resources.account_id', details: ResourceAccountIdDetails },
    async (req, input) => {
      const details = await accountIds(req, input.text('RESOURCENAME'), input.text('ACCOUNTNAME'));
      return success(
        'GET_RESOURCEACCOUNTID',
        'Resource ID and account ID fetched successfully for the given resource name and account name.',
        { details },
      );
    },
  );
}
