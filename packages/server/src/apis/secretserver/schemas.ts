// Response schemas of the Secret Server surface, one per status a route answers: an allow-list
// (Fastify's serializer drops what they do not name, so nothing else leaves the server) and a
// compiled serialization. The shapes are the seed's (003) and the product's REST reference.

import { bool, exact, int, str } from '../../http/response-schemas.ts';

export { exact };

const nstr = { type: ['string', 'null'] } as const;
const nint = { type: ['integer', 'null'] } as const;

/** The error body (errors.ts): `{errorCode, message}`; the token endpoint adds `error`. */
export const ErrorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { errorCode: str, message: str, messageDetail: str, error: str, error_description: str },
} as const;

/** Every error status errors.ts answers. */
export const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

export function responses(ok: unknown, status = 200): Record<number, unknown> {
  return { [status]: ok, ...errors };
}

export const SecretItem = exact({
  itemId: int,
  fileAttachmentId: nint,
  filename: nstr,
  itemValue: str,
  fieldId: int,
  fieldName: str,
  slug: str,
  fieldDescription: str,
  isFile: bool,
  isNotes: bool,
  isPassword: bool,
});

export const SecretModel = exact({
  id: int,
  name: str,
  secretTemplateId: int,
  folderId: int,
  active: bool,
  items: { type: 'array', items: SecretItem },
  launcherConnectAsSecretId: int,
  checkOutMinutesRemaining: int,
  checkedOut: bool,
  checkOutUserDisplayName: str,
  checkOutUserId: int,
  isRestricted: bool,
  isOutOfSync: bool,
  outOfSyncReason: str,
  autoChangeEnabled: bool,
  autoChangeNextPassword: { type: 'null' },
  requiresApprovalForAccess: bool,
  requiresComment: bool,
  checkOutEnabled: bool,
  checkOutIntervalMinutes: int,
  checkOutChangePasswordEnabled: bool,
  accessRequestWorkflowMapId: int,
  proxyEnabled: bool,
  sessionRecordingEnabled: bool,
  restrictSshCommands: bool,
  allowOwnersUnrestrictedSshCommands: bool,
  isDoubleLock: bool,
  doubleLockId: int,
  enableInheritPermissions: bool,
  passwordTypeWebScriptId: int,
  siteId: int,
  enableInheritSecretPolicy: bool,
  secretPolicyId: int,
  lastHeartBeatStatus: str,
  lastHeartBeatCheck: str,
  failedPasswordChangeAttempts: int,
  lastPasswordChangeAttempt: str,
  secretTemplateName: str,
  responseCodes: { type: 'array', items: str },
  webLauncherRequiresIncognitoMode: bool,
});

const ExtendedField = exact({ name: str, value: str });

export const SecretSummary = exact({
  id: int,
  name: str,
  secretTemplateId: int,
  secretTemplateName: str,
  folderId: int,
  siteId: int,
  active: bool,
  checkedOut: bool,
  isRestricted: bool,
  isOutOfSync: bool,
  outOfSyncReason: str,
  lastHeartBeatStatus: str,
  lastPasswordChangeAttempt: str,
  responseCodes: { type: 'null' },
  lastAccessed: { type: 'null' },
  extendedFields: { type: ['array', 'null'], items: ExtendedField },
  checkOutEnabled: bool,
  autoChangeEnabled: bool,
  doubleLockEnabled: bool,
  requiresApproval: bool,
  requiresComment: bool,
  inheritsPermissions: bool,
  hidePassword: bool,
  hasLauncher: bool,
  createDate: str,
  daysUntilExpiration: nint,
});

/** Secret Server's paging envelope around `records`. */
export function paging(record: unknown) {
  return exact({
    filter: { type: 'null' },
    skip: int,
    take: int,
    total: int,
    pageCount: int,
    currentPage: int,
    batchCount: int,
    prevSkip: int,
    nextSkip: int,
    hasPrev: bool,
    hasNext: bool,
    records: { type: 'array', items: record },
    sortBy: { type: 'array', items: {} },
    success: bool,
    severity: str,
  });
}

export const Deleted = exact({ id: int, objectType: str, responseCodes: { type: 'array', items: str } });

export const TemplateField = exact({
  secretTemplateFieldId: int,
  fieldSlugName: str,
  displayName: str,
  description: str,
  name: str,
  isPassword: bool,
  isFile: bool,
  isNotes: bool,
  isUrl: bool,
  isRequired: bool,
  isList: bool,
  listType: str,
  isExpirable: bool,
  isIndexable: bool,
  mustEncrypt: bool,
  hideOnView: bool,
  sortOrder: int,
  editRequires: str,
  generatePasswordLength: int,
  historyLength: int,
  passwordTypeFieldId: int,
});

export const Template = exact({ id: int, name: str, active: bool, fields: { type: 'array', items: TemplateField } });
export const TemplateSummary = exact({ id: int, name: str, active: bool, secretCount: { type: 'null' } });

/** A folder; `childFolders` holds folders of the same shape (one level of schema: deeper ones pass as objects). */
const folderProps = {
  id: int,
  folderName: str,
  folderPath: str,
  parentFolderId: int,
  folderTypeId: int,
  secretPolicyId: int,
  inheritSecretPolicy: bool,
  inheritPermissions: bool,
  secretTemplates: { type: 'null' },
};
export const Folder = exact({
  ...folderProps,
  childFolders: { type: ['array', 'null'], items: { type: 'object', additionalProperties: true } },
});
export const FolderSummary = exact(folderProps);
export const Lookup = exact({ id: int, value: str });

export const MetadataItem = exact({
  metadataItemDataId: int,
  metadataFieldTypeName: { type: 'null' },
  metadataFieldDataType: str,
  metadataType: str,
  metadataTypeName: { type: 'null' },
  itemId: int,
  metadataFieldId: int,
  metadataFieldName: str,
  metadataFieldSectionId: int,
  metadataFieldSectionName: str,
  metadataFieldTypeId: int,
  createUserId: nint,
  createUserName: nstr,
  createDateTime: str,
  sortOrder: { type: 'null' },
  valueString: nstr,
  valueBit: { type: ['boolean', 'null'] },
  valueNumber: { type: ['number', 'null'] },
  valueDateTime: nstr,
  valueInt: nint,
  valueUserDisplayName: nstr,
});

export const MetadataField = exact({
  metadataFieldId: int,
  metadataFieldName: str,
  defaultSortOrder: { type: 'null' },
  metadataFieldSectionId: int,
  fieldDataType: str,
  metadataFieldSectionName: str,
});

export const MetadataSection = exact({
  metadataFieldSectionId: int,
  metadataFieldSectionName: str,
  metadataFieldSectionDescription: nstr,
  sortOrder: { type: 'null' },
});
