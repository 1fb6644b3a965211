// Coffer secrets, folders and templates -> Secret Server's shapes (the seed's full bodies): field
// names, integer ids, dates without a zone, the workflow flags. An allow-list: what is not set
// here never leaves (and the response schemas drop anything else).
import type { RotationState } from '../../modules/rotation/state.ts';
import type { presentWith } from '../../modules/secrets/secrets.presenter.ts';
import type { TreeNode } from '../../modules/vaults/vaults.service.ts';
import type { SecretFlags } from '../../modules/workflow/workflow.service.ts';
import { ssDate } from './ids.ts';
import { PLACEHOLDER, type SsTemplate } from './template-ids.ts';

export type Presented = ReturnType<typeof presentWith>;

/** Numbers the item list needs: each item's and each stored file's. */
export interface ItemNumbers {
  items: Map<string, number>;
  files: Map<string, number>;
}

export const itemKey = (secretId: string, fieldId: string) => `${secretId}/${fieldId}`;
export const fileKey = (secretId: string, slug: string) => `${secretId}/${slug}`;

const NO_FLAGS: SecretFlags = {
  requireReason: false,
  approvalRequired: false,
  checkoutExclusive: false,
  maxMinutes: 0,
  rotateOnCheckin: false,
  checkout: null,
};

/** Does the secret hold a value for the field (a sensitive one: its name is listed)? */
export function holds(s: Presented, field: { slug: string; sensitive: boolean }): boolean {
  return field.sensitive ? s.sensitiveFields.includes(field.slug) : (s.fields[field.slug] ?? '') !== '';
}

/**
 * The value of each item: clear fields from the secret, sensitive ones from `values` (a reveal,
 * or what the caller just wrote); a file field shows the placeholder when it holds a file.
 */
export function items(s: Presented, t: SsTemplate | undefined, n: ItemNumbers, values: Record<string, string> | null) {
  if (!t) return [];
  return t.fields.map(({ ssId, field, isFile, isNotes, isPassword }) => {
    const stored = holds(s, field);
    const file = isFile && stored ? (n.files.get(fileKey(s.id, field.slug)) ?? null) : null;
    let itemValue: string;
    if (isFile) itemValue = stored ? PLACEHOLDER : '';
    else if (field.sensitive) itemValue = values?.[field.slug] ?? '';
    else itemValue = s.fields[field.slug] ?? '';
    return {
      itemId: n.items.get(itemKey(s.id, field.id)) ?? 0,
      fileAttachmentId: file,
      filename: file !== null ? field.name : null,
      itemValue,
      fieldId: ssId,
      fieldName: field.name,
      slug: field.slug,
      fieldDescription: field.name,
      isFile,
      isNotes,
      isPassword,
    };
  });
}

/** Secret Server's heartbeat status of Coffer's (no target: Pending, as a secret never checked). */
const HEARTBEAT: Record<RotationState['heartbeatStatus'], string> = {
  unknown: 'Pending',
  ok: 'Success',
  failed: 'Failed',
  unreachable: 'UnableToConnect',
};

/** The heartbeat and password-changing fields of a secret from its rotation state (modules/rotation). */
export function rpcFields(r: RotationState | undefined) {
  const outOfSync = r?.outOfSync ?? false;
  return {
    isOutOfSync: outOfSync,
    outOfSyncReason: !outOfSync
      ? ''
      : r?.heartbeatStatus === 'failed'
        ? 'The stored password does not log in to the target.'
        : 'The last password change could not be confirmed on the target.',
    autoChangeEnabled: r?.autoChange ?? false,
    lastHeartBeatStatus: r ? HEARTBEAT[r.heartbeatStatus] : 'Pending',
    lastHeartBeatCheck: ssDate(r?.lastHeartbeatAt),
    lastPasswordChangeAttempt: ssDate(r?.lastAttemptAt),
    failedPasswordChangeAttempts: r?.failedAttempts ?? 0,
  };
}

/** Minutes left of a checkout, rounded up (0 when none). */
function minutesLeft(endsAt: number | undefined, now: number): number {
  return endsAt === undefined ? 0 : Math.max(0, Math.ceil((endsAt - now) / 60_000));
}

/** The full secret (GET /secrets/{id}, and the answer of writes). */
export function secretModel(x: {
  num: number;
  secret: Presented;
  template: SsTemplate | undefined;
  folderNum: number;
  numbers: ItemNumbers;
  values: Record<string, string> | null;
  flags: SecretFlags | undefined;
  checkoutUserNum: number | null;
  now: number;
  rotation?: RotationState | undefined;
}) {
  const f = x.flags ?? NO_FLAGS;
  const co = f.checkout;
  const rpc = rpcFields(x.rotation);
  return {
    id: x.num,
    name: x.secret.name,
    secretTemplateId: x.template?.ssId ?? 0,
    folderId: x.folderNum,
    active: x.secret.deletedAt === null,
    items: items(x.secret, x.template, x.numbers, x.values),
    launcherConnectAsSecretId: -1,
    checkOutMinutesRemaining: minutesLeft(co?.endsAt, x.now),
    checkedOut: co !== null,
    checkOutUserDisplayName: co?.holderName ?? '',
    checkOutUserId: x.checkoutUserNum ?? -1,
    isRestricted: f.requireReason || f.approvalRequired || f.checkoutExclusive,
    isOutOfSync: rpc.isOutOfSync,
    outOfSyncReason: rpc.outOfSyncReason,
    autoChangeEnabled: rpc.autoChangeEnabled,
    autoChangeNextPassword: null,
    requiresApprovalForAccess: f.approvalRequired,
    requiresComment: f.requireReason,
    checkOutEnabled: f.checkoutExclusive,
    checkOutIntervalMinutes: f.checkoutExclusive ? f.maxMinutes : -1,
    checkOutChangePasswordEnabled: f.rotateOnCheckin,
    accessRequestWorkflowMapId: -1,
    proxyEnabled: false,
    sessionRecordingEnabled: false,
    restrictSshCommands: false,
    allowOwnersUnrestrictedSshCommands: false,
    isDoubleLock: false,
    doubleLockId: -1,
    enableInheritPermissions: true,
    passwordTypeWebScriptId: -1,
    siteId: 1,
    enableInheritSecretPolicy: true,
    secretPolicyId: -1,
    lastHeartBeatStatus: rpc.lastHeartBeatStatus,
    lastHeartBeatCheck: rpc.lastHeartBeatCheck,
    failedPasswordChangeAttempts: rpc.failedPasswordChangeAttempts,
    lastPasswordChangeAttempt: rpc.lastPasswordChangeAttempt,
    secretTemplateName: x.template?.template.name ?? x.secret.template,
    responseCodes: [] as string[],
    webLauncherRequiresIncognitoMode: false,
  };
}

/** An extended field of a search record: a clear field asked for by name. */
export interface ExtendedField {
  name: string;
  value: string;
}

/** A search record (GET /secrets). */
export function secretSummary(x: {
  num: number;
  secret: Presented;
  template: SsTemplate | undefined;
  folderNum: number;
  flags: SecretFlags | undefined;
  extended: ExtendedField[] | null;
  now: number;
  rotation?: RotationState | undefined;
}) {
  const f = x.flags ?? NO_FLAGS;
  const rpc = rpcFields(x.rotation);
  const expires = x.secret.expiresAt ? Date.parse(x.secret.expiresAt) : null;
  return {
    id: x.num,
    name: x.secret.name,
    secretTemplateId: x.template?.ssId ?? 0,
    secretTemplateName: x.template?.template.name ?? x.secret.template,
    folderId: x.folderNum,
    siteId: 1,
    active: x.secret.deletedAt === null,
    checkedOut: f.checkout !== null,
    isRestricted: f.requireReason || f.approvalRequired || f.checkoutExclusive,
    isOutOfSync: rpc.isOutOfSync,
    outOfSyncReason: rpc.outOfSyncReason,
    lastHeartBeatStatus: rpc.lastHeartBeatStatus,
    lastPasswordChangeAttempt: rpc.lastPasswordChangeAttempt,
    responseCodes: null,
    lastAccessed: null,
    extendedFields: x.extended,
    checkOutEnabled: f.checkoutExclusive,
    autoChangeEnabled: rpc.autoChangeEnabled,
    doubleLockEnabled: false,
    requiresApproval: f.approvalRequired,
    requiresComment: f.requireReason,
    inheritsPermissions: !x.secret.shared,
    hidePassword: false,
    hasLauncher: false,
    createDate: ssDate(x.secret.createdAt),
    daysUntilExpiration: expires === null ? null : Math.floor((expires - x.now) / 86_400_000),
  };
}

/** Secret Server's path of a node: `\Vault\A\B` (a vault is a top folder). */
export function folderPath(vaultName: string, path: string): string {
  const inner = path === '/' ? '' : path.replace(/\//g, '\\');
  return `\\${vaultName}${inner}`;
}

/** A folder (a vault is a top folder, parentFolderId -1). */
export function folderModel(n: TreeNode, num: number, parentNum: number | null, children: unknown[] | null) {
  return {
    id: num,
    folderName: n.name,
    folderPath: folderPath(n.vaultName, n.path),
    parentFolderId: n.type === 'vault' ? -1 : (parentNum ?? -1),
    folderTypeId: 1,
    secretPolicyId: -1,
    inheritSecretPolicy: n.type === 'folder' && n.inheritPolicy,
    inheritPermissions: n.type === 'folder' && n.inheritPermissions,
    childFolders: children,
    secretTemplates: null,
  };
}

/** A template (GET /secret-templates/{id}). */
export function templateModel(t: SsTemplate) {
  return {
    id: t.ssId,
    name: t.template.name,
    active: true,
    fields: t.fields.map((f, i) => ({
      secretTemplateFieldId: f.ssId,
      fieldSlugName: f.field.slug,
      displayName: f.field.name,
      description: f.field.name,
      name: f.field.name,
      isPassword: f.isPassword,
      isFile: f.isFile,
      isNotes: f.isNotes,
      isUrl: f.isUrl,
      isRequired: f.field.required,
      isList: false,
      listType: 'None',
      isExpirable: false,
      isIndexable: f.field.searchable,
      mustEncrypt: f.field.sensitive,
      hideOnView: f.field.sensitive,
      sortOrder: i + 1,
      editRequires: 'Edit',
      generatePasswordLength: f.isPassword ? 24 : 0,
      historyLength: 2147483647,
      passwordTypeFieldId: -1,
    })),
  };
}

/** A template in a list (GET /secret-templates). */
export function templateSummary(t: SsTemplate) {
  return { id: t.ssId, name: t.template.name, active: true, secretCount: null };
}

/** Secret Server's paging envelope around `records`. */
export function page<T>(records: T[], skip: number, take: number, total: number) {
  const hasNext = skip + records.length < total;
  return {
    filter: null,
    skip,
    take,
    total,
    pageCount: take > 0 ? Math.ceil(total / take) : 0,
    currentPage: take > 0 ? Math.floor(skip / take) + 1 : 1,
    batchCount: take > 0 ? Math.ceil(total / take) : 0,
    prevSkip: Math.max(0, skip - take),
    nextSkip: skip + take,
    hasPrev: skip > 0,
    hasNext,
    records,
    sortBy: [] as unknown[],
    success: true,
    severity: 'None',
  };
}
