// Editing a resource (`PUT resources/{RESOURCEID}`: its name, type and attributes, its custom
// fields) and an account (`PUT resources/{RESOURCEID}/accounts/{ACCOUNTID}`: its name, notes,
// password policy, custom fields), as PMP's REST reference documents them and Cortex XSOAR's
// PAM360 integration calls them. Through the services only: the folder (or vault) rename, the
// metadata service, the secrets update; each audits its own write (via pmp).
import { isCleanName, isCleanText } from '@coffer/contracts/text';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { PMP_CUSTOM_SECTION, PMP_SECTION } from '../../modules/lookup/pmp-resources.ts';
import {
  ACCOUNT_TEMPLATE,
  accountPolicy,
  MAX_CUSTOM_FIELDS,
  POLICY_ATTRIBUTE,
  parseCustomFields,
  RESOURCE_ATTRIBUTES,
  setAttributes,
} from './accounts-write.ts';
import { success } from './envelope.ts';
import { asText, type PmpInput, pick } from './input.ts';
import type { Kit } from './kit.ts';

const invalid = (message: string, path: string) =>
  new AppError('validation.failed', message, { reason: 'input', details: [{ path, message }] });
const noAccount = () => new AppError('not_found', 'No such account.', { reason: 'account' });

/** Details keys of a resource edit -> the attribute each sets (RESOURCETYPE besides the creation ones). */
const EDIT_ATTRIBUTES: Array<[string, string]> = [['RESOURCETYPE', 'Resource type'], ...RESOURCE_ATTRIBUTES];
/** Keys PMP's reference documents for an edit that Coffer accepts and does not keep (session recording, ids of PMP's catalogues). */
const IGNORED_RESOURCE_KEYS = [
  'RESOURCETYPEID',
  'RESOURCEPASSWORDPOLICYID',
  'RECORD_CONFIGURED_RESOURCE_URL',
  'DISABLE_TAB_DUPLICATION',
  'WEBSITE_SESSION_RECORDING',
  'GATEWAY_SESSION_RECORDING',
];
const ACCOUNT_KEYS = ['ACCOUNTNAME', 'NOTES', 'DESCRIPTION', 'ACCOUNTPASSWORDPOLICY', 'ACCOUNTCUSTOMFIELD'];
/** Account keys accepted and not kept: PMP's owner is the resource's, the rest are PMP features Coffer lacks. */
const IGNORED_ACCOUNT_KEYS = ['OWNERNAME', 'ACCOUNTPASSWORDPOLICYID', 'DOMAINNAME', 'RECORD_RDP_SESSIONS', 'RECORD_CLI_SESSIONS'];

const has = (d: Record<string, unknown>, keys: string[]) => keys.some((k) => pick(d, k) !== undefined);

/** What a resource edit asks for, checked before anything is written. Empty values leave an attribute as it is. */
function resourceEdit(input: PmpInput) {
  const d = input.details;
  const keys = ['RESOURCENAME', 'RESOURCECUSTOMFIELD', ...EDIT_ATTRIBUTES.map(([k]) => k), ...IGNORED_RESOURCE_KEYS];
  if (!has(d, keys)) throw invalid('Give at least one attribute of the resource to change.', '/RESOURCENAME');
  const name = asText(pick(d, 'RESOURCENAME'));
  if (name) {
    if (/[\\/]/.test(name)) throw invalid('A resource name cannot hold a slash or a backslash.', '/RESOURCENAME');
    if (name.length > 200 || !isCleanName(name)) throw invalid('RESOURCENAME is a single line of at most 200 characters.', '/RESOURCENAME');
  }
  const attributes: Record<string, string> = {};
  for (const [key, label] of EDIT_ATTRIBUTES) {
    const v = asText(pick(d, key));
    if (!v) continue;
    if (!isCleanText(v)) throw invalid(`${key} holds characters that are not allowed.`, `/${key}`);
    attributes[label] = v.slice(0, 2000);
  }
  return { name, attributes, custom: parseCustomFields(pick(d, 'RESOURCECUSTOMFIELD'), '/RESOURCECUSTOMFIELD') };
}

/** What an account edit asks for, checked before anything is written. Empty values leave a field as it is. */
function accountEdit(input: PmpInput) {
  const d = input.details;
  if (!has(d, [...ACCOUNT_KEYS, ...IGNORED_ACCOUNT_KEYS]))
    throw invalid('Give at least one attribute of the account to change.', '/ACCOUNTNAME');
  const name = asText(pick(d, 'ACCOUNTNAME'));
  if (name && (name.length > 300 || !isCleanName(name))) {
    throw invalid('ACCOUNTNAME is a single line of at most 300 characters.', '/ACCOUNTNAME');
  }
  // NOTES is the account's description (as when it was created); PMP's reference also names it DESCRIPTION
  const notes = asText(pick(d, 'NOTES')) || asText(pick(d, 'DESCRIPTION'));
  if (notes && (notes.length > 4000 || !isCleanText(notes))) throw invalid('NOTES is text of at most 4000 characters.', '/NOTES');
  const policy = asText(pick(d, 'ACCOUNTPASSWORDPOLICY'));
  if (policy.length > 200 || (policy && !isCleanName(policy)))
    throw invalid('ACCOUNTPASSWORDPOLICY is a policy name.', '/ACCOUNTPASSWORDPOLICY');
  return { name, notes, policy, custom: parseCustomFields(pick(d, 'ACCOUNTCUSTOMFIELD'), '/ACCOUNTCUSTOMFIELD') };
}

export function editRoutes(instance: FastifyInstance, kit: Kit): void {
  const { deps, ids, resources } = kit;

  kit.op(
    instance,
    'PUT',
    '/resources/:resourceId',
    { name: 'EDIT RESOURCE', action: 'pmp.resources.edit', details: null },
    async (req, input) => {
      const { resourceId } = req.params as { resourceId: string };
      const nodeId = await ids.resourceNode(resourceId);
      // a resource the caller cannot see reads like a missing one, before the input is even looked at
      const { resource: r } = await resources.getResource(req.ctx, nodeId);
      const e = resourceEdit(input);
      if (e.name && e.name !== r.name) {
        const rename =
          r.kind === 'vault'
            ? deps.vaults.updateVault(req.ctx, nodeId, { name: e.name })
            : deps.vaults.updateFolder(req.ctx, nodeId, { name: e.name });
        await rename.catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'conflict') {
            throw new AppError('conflict', `Resource ${e.name} already exists.`, { reason: 'resource_exists' });
          }
          throw err;
        });
      }
      const changed = Object.fromEntries(Object.entries(e.attributes).filter(([label, v]) => r.attributes[label] !== v));
      const current = new Map(r.customFields.map((c) => [c.label, c.value]));
      const setCustom = e.custom.filter((c) => c.value !== '' && current.get(c.label) !== c.value);
      await setAttributes(kit, req.ctx, nodeId, changed, setCustom);
      // an empty CUSTOMVALUE removes that custom field
      for (const c of e.custom) {
        if (c.value === '' && current.has(c.label))
          await deps.metadata.remove(req.ctx, { nodeId, section: PMP_CUSTOM_SECTION, name: c.label });
      }
      return success('EDIT RESOURCE', `Resource ${e.name || r.name} modified successfully.`);
    },
  );

  kit.op(
    instance,
    'PUT',
    '/resources/:resourceId/accounts/:accountId',
    { name: 'EDIT ACCOUNT', action: 'pmp.accounts.edit', details: null },
    async (req, input) => {
      const { resourceId, accountId } = req.params as { resourceId: string; accountId: string };
      const nodeId = await ids.resourceNode(resourceId);
      const secretId = await ids.secret(accountId);
      const s = await deps.secrets.get(req.ctx, secretId);
      if ((s.folderId ?? s.vaultId) !== nodeId) throw noAccount();
      const e = accountEdit(input);
      const shownName = s.username || s.name;
      const patch: Parameters<typeof deps.secrets.update>[2] = {};
      if (e.name && e.name !== shownName) {
        patch.name = e.name;
        // the account name is the secret's username as well (accounts-write.ts), when it has one
        if (s.username || s.template === ACCOUNT_TEMPLATE) patch.fields = { username: e.name };
      }
      if (e.notes && e.notes !== s.description) patch.description = e.notes;
      if (e.custom.length) {
        // the secret's custom fields are written whole: those not named keep their values
        if (s.customFields.some((c) => c.value === null)) {
          throw new AppError('conflict', 'This account has hidden custom fields; change its custom fields with the native API.', {
            reason: 'hidden_custom_fields',
          });
        }
        const merged = s.customFields.map((c) => ({ name: c.name, type: c.type, value: c.value ?? '' }));
        for (const c of e.custom) {
          const i = merged.findIndex((m) => m.name === c.label);
          if (i >= 0 && c.value === '') merged.splice(i, 1);
          else if (i >= 0) merged[i] = { name: c.label, type: merged[i]?.type ?? 'text', value: c.value };
          else if (c.value !== '') merged.push({ name: c.label, type: 'text', value: c.value });
        }
        if (merged.length > MAX_CUSTOM_FIELDS) throw invalid(`At most ${MAX_CUSTOM_FIELDS} custom fields.`, '/ACCOUNTCUSTOMFIELD');
        patch.customFields = merged;
      }
      if (Object.keys(patch).length) await deps.secrets.update(req.ctx, secretId, patch);
      if (e.policy && e.policy !== (await accountPolicy(kit, req.ctx, secretId))) {
        await deps.metadata.set(req.ctx, {
          nodeId: secretId,
          section: PMP_SECTION,
          name: POLICY_ATTRIBUTE,
          type: 'string',
          value: e.policy,
        });
      }
      return success('EDIT ACCOUNT', `Account ${e.name || shownName} modified successfully`);
    },
  );
}
