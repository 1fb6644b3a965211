// Writing PMP resources and accounts through the usual services: a resource's attributes are
// metadata of its folder (section "PMP", custom fields in "PMP custom fields"); an account is a
// secret of the built-in template `host-credential` (username = account name, host = DNS name),
// its custom fields the secret's custom fields, its notes the secret's description.

import type { CustomField } from '@coffer/contracts/secrets';
import type { Static } from 'typebox';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { PMP_CUSTOM_SECTION, PMP_SECTION } from '../../modules/lookup/pmp-resources.ts';
import { asText, pick } from './input.ts';
import type { Kit } from './kit.ts';

/** The template of PMP accounts. */
export const ACCOUNT_TEMPLATE = 'host-credential';
/** PMP allows 20 custom fields at each level. */
export const MAX_CUSTOM_FIELDS = 20;

/** Details keys of a resource -> the metadata names its attributes are stored under. */
export const RESOURCE_ATTRIBUTES: Array<[string, string]> = [
  ['RESOURCEDESCRIPTION', 'Description'],
  ['DNSNAME', 'DNS name'],
  ['RESOURCEURL', 'Resource URL'],
  ['LOCATION', 'Location'],
  ['DEPARTMENT', 'Department'],
  ['RESOURCEOWNER', 'Owner'],
  // the name PMP's current reference and its XSOAR/PAM360 integration send the owner under
  ['OWNERNAME', 'Owner'],
  ['RESOURCEGROUPNAME', 'Resource group'],
  ['RESOURCEPASSWORDPOLICY', 'Password policy'],
  ['DOMAINNAME', 'Domain name'],
];

export interface NewAccount {
  name: string;
  password: string;
  notes: string;
  policy: string;
  host: string;
  customFields: Array<{ label: string; value: string }>;
}

const invalid = (message: string, path: string) =>
  new AppError('validation.failed', message, { reason: 'input', details: [{ path, message }] });

/** `[{"CUSTOMLABEL": "...", "CUSTOMVALUE": "..."}]` -> labels and values (at most 20). */
export function parseCustomFields(v: unknown, path: string): Array<{ label: string; value: string }> {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  if (items.length > MAX_CUSTOM_FIELDS) throw invalid(`At most ${MAX_CUSTOM_FIELDS} custom fields.`, path);
  const out: Array<{ label: string; value: string }> = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) throw invalid('A custom field is {"CUSTOMLABEL", "CUSTOMVALUE"}.', path);
    const label = asText(pick(item as Record<string, unknown>, 'CUSTOMLABEL'));
    const value = asText(pick(item as Record<string, unknown>, 'CUSTOMVALUE'));
    if (!label || label.length > 100) throw invalid('A custom field needs a CUSTOMLABEL of at most 100 characters.', path);
    if (value.length > 2000) throw invalid('A custom field value has at most 2000 characters.', path);
    out.push({ label, value });
  }
  return out;
}

/** One account of an ACCOUNTLIST entry (or of a new resource's Details). */
export function accountOf(entry: unknown, path: string): NewAccount {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid('An account is an object.', path);
  const e = entry as Record<string, unknown>;
  const name = asText(pick(e, 'ACCOUNTNAME'));
  const password = pick(e, 'PASSWORD');
  if (!name) throw invalid('ACCOUNTNAME is mandatory.', `${path}/ACCOUNTNAME`);
  if (name.length > 300) throw invalid('ACCOUNTNAME has at most 300 characters.', `${path}/ACCOUNTNAME`);
  if (typeof password !== 'string' || password === '') throw invalid('PASSWORD is mandatory.', `${path}/PASSWORD`);
  return {
    name,
    password,
    notes: asText(pick(e, 'NOTES')),
    policy: asText(pick(e, 'ACCOUNTPASSWORDPOLICY')),
    host: asText(pick(e, 'DNSNAME')),
    customFields: parseCustomFields(pick(e, 'ACCOUNTCUSTOMFIELD'), `${path}/ACCOUNTCUSTOMFIELD`),
  };
}

/** A resource's attributes and custom fields, as metadata of its node. */
export async function setAttributes(
  kit: Kit,
  ctx: RequestContext,
  nodeId: string,
  attributes: Record<string, string>,
  custom: Array<{ label: string; value: string }>,
): Promise<void> {
  for (const [name, value] of Object.entries(attributes)) {
    await kit.deps.metadata.set(ctx, { nodeId, section: PMP_SECTION, name, type: 'string', value: value.slice(0, 2000) });
  }
  for (const c of custom) {
    await kit.deps.metadata.set(ctx, { nodeId, section: PMP_CUSTOM_SECTION, name: c.label, type: 'string', value: c.value });
  }
}

/** An account as a secret in the resource's folder; returns the secret's id. */
export async function createAccount(
  kit: Kit,
  ctx: RequestContext,
  where: { vaultId: string; folderId: string | null },
  a: NewAccount,
): Promise<string> {
  const customFields: Array<Static<typeof CustomField>> = a.customFields.map((c) => ({ name: c.label, type: 'text', value: c.value }));
  const created = await kit.deps.secrets.create(ctx, {
    vaultId: where.vaultId,
    folderId: where.folderId,
    template: ACCOUNT_TEMPLATE,
    name: a.name,
    ...(a.notes ? { description: a.notes.slice(0, 4000) } : {}),
    fields: { username: a.name, password: a.password, ...(a.host ? { host: a.host } : {}) },
    ...(customFields.length ? { customFields } : {}),
  });
  if (a.policy) {
    await kit.deps.metadata.set(ctx, {
      nodeId: created.id,
      section: PMP_SECTION,
      name: 'Password policy',
      type: 'string',
      value: a.policy,
    });
  }
  return created.id;
}

/** The name under which an account's (or a resource's) password policy is kept, section "PMP". */
export const POLICY_ATTRIBUTE = 'Password policy';

/** An account's password policy: its own (metadata of the secret), else PMP's default `Strong`. */
export async function accountPolicy(kit: Kit, ctx: RequestContext, secretId: string): Promise<string> {
  try {
    const { items } = await kit.deps.metadata.list(ctx, secretId);
    const own = items.find((m) => m.section === PMP_SECTION && m.name === POLICY_ATTRIBUTE);
    return typeof own?.value === 'string' && own.value ? own.value : 'Strong';
  } catch (e) {
    // the caller sees the account but not its metadata: PMP's default
    if (e instanceof AppError && (e.code === 'not_found' || e.code === 'forbidden')) return 'Strong';
    throw e;
  }
}
