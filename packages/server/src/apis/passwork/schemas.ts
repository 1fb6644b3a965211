// Response schemas of the Passwork surface: one per status a route can answer. An allow-list
// (Fastify's serializer drops what a schema does not name) and a compiled serialization. Shapes
// from Passwork's connectors (Python, JS, Go): the envelope, then the route's object.

import { bool, exact, int, nullableStr, str } from '../../http/response-schemas.ts';

const strings = { type: 'array', items: str } as const;

export { exact };

/** `{status: "success", code?, data}`. */
export function envelope(data: unknown) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['status', 'data'],
    properties: { status: str, code: str, data },
  } as const;
}

export const failureBody = exact({ status: str, code: str, data: exact({ errorMessage: str }) });

/** Every error status errorAnswer (envelope.ts) answers. */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 429, 500, 503] as const;

const errorResponses = Object.fromEntries(ERROR_STATUSES.map((s) => [s, failureBody]));

/** A route's `response`: its success statuses (each an envelope of `data`) and the error ones. */
export function responses(ok: Record<number, unknown>) {
  const out: Record<number, unknown> = { ...errorResponses };
  for (const [status, data] of Object.entries(ok)) out[Number(status)] = envelope(data);
  return out;
}

// --- the objects ---------------------------------------------------------------------------

export const pathItem = exact({ order: int, name: str, type: str, id: str });
const path = { type: 'array', items: pathItem } as const;
const custom = { type: ['array', 'null'], items: exact({ name: str, value: str, type: str }) } as const;
const attachmentRef = exact({ id: str, name: str, encryptedKey: str }, ['encryptedKey']);

/** A password, whole or in a list (mapper.ts fullPassword / listPassword). */
export const password = exact({
  id: str,
  vaultId: str,
  folderId: nullableStr,
  name: str,
  login: str,
  cryptedPassword: str,
  cryptedKey: str,
  url: str,
  description: str,
  color: int,
  tags: strings,
  custom,
  attachments: { type: ['array', 'null'], items: attachmentRef },
  path,
  access: str,
  accessCode: int,
  shortcut: { type: 'null' },
  isFavorite: bool,
  lastPasswordUpdate: int,
  updatedAt: str,
  createdAt: str,
});
export const passwords = { type: 'array', items: password } as const;

/** One attachment with its content (GET /passwords/{id}/attachment/{attachmentId}). */
export const attachment = exact({ id: str, name: str, encryptedKey: str, encryptedData: str, hash: str });

export const vault = exact({
  id: str,
  name: str,
  access: str,
  accessCode: int,
  scope: str,
  visible: bool,
  vaultPasswordCrypted: str,
  passwordCrypted: str,
  salt: str,
  passwordHash: str,
  domainMaster: str,
});
export const vaults = { type: 'array', items: vault } as const;

export const folder = exact({
  id: str,
  vaultId: str,
  parentId: nullableStr,
  name: str,
  path,
  foldersAmount: int,
  passwordsAmount: int,
  shortcutsAmount: int,
});
export const folders = { type: 'array', items: folder } as const;

/** An inbox item in the list: the share, and the password without its value. */
export const inboxItem = exact({
  id: str,
  passwordId: str,
  vaultId: str,
  name: str,
  password,
  from: exact({ id: nullableStr, name: nullableStr }),
  viewed: bool,
  createdAt: str,
  expiredAt: nullableStr,
});

/** An opened inbox item: the share and the whole password. */
export const inboxOpened = exact({
  id: str,
  passwordId: str,
  vaultId: str,
  cryptedKey: str,
  viewed: bool,
  password,
  from: exact({ id: nullableStr, name: nullableStr }),
  createdAt: str,
});

export const tokens = exact({
  token: str,
  refreshToken: str,
  tokenTtl: int,
  refreshTokenTtl: int,
  tokenExpiredAt: int,
  refreshTokenExpiredAt: int,
  user: exact({ id: str, name: str, email: str, login: str }),
});

export const userInfo = exact({
  id: str,
  name: str,
  email: str,
  login: str,
  role: str,
  useMasterPassword: bool,
  keys: { type: 'null' },
});

export const version = exact({ version: str, legacySupport: bool, apiVersion: str, product: str });

export const masterKeyOptions = exact({ mkOptions: str }, ['mkOptions']);

export const domain = exact({ domainId: str, name: str, mpCrypted: str, salt: str, passwordHash: str });

export { bool, int, nullableStr, str, strings };
