import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { PasswordPolicy } from './passwords.ts';
import { Name, Segment, Text } from './text.ts';
import { ApprovalPolicy, CheckoutPolicy, TimeWindow } from './workflow.ts';

export const Level = Type.Union(
  [Type.Literal('list'), Type.Literal('view'), Type.Literal('reveal'), Type.Literal('edit'), Type.Literal('manage')],
  { description: 'list: see it exists; view: metadata; reveal: values; edit: change; manage: grant and revoke' },
);
export type Level = 'list' | 'view' | 'reveal' | 'edit' | 'manage';

export const AccessPolicy = Type.Object(
  {
    requireReason: Type.Optional(
      Type.Union([Type.Boolean(), Type.Null()], { description: 'A reason is required to reveal values; null = inherit' }),
    ),
    passwordPolicy: Type.Optional(
      Type.Union([PasswordPolicy, Type.Null()], {
        description: 'Password generator policy; fields left out come from above; null = inherit',
      }),
    ),
    approval: Type.Optional(
      Type.Union([ApprovalPolicy, Type.Null()], { description: 'Access requests and approvals; fields left out come from above' }),
    ),
    checkout: Type.Optional(
      Type.Union([CheckoutPolicy, Type.Null()], { description: 'Exclusive checkout; fields left out come from above' }),
    ),
    timeWindow: Type.Optional(
      Type.Union([TimeWindow, Type.Null()], { description: 'Allowed time window (UTC); fields left out come from above' }),
    ),
  },
  { additionalProperties: false },
);
export type AccessPolicy = Static<typeof AccessPolicy>;

export const E2eScheme = Type.Union([Type.Literal('openpgp'), Type.Literal('master-password')], {
  description:
    'E2E vaults only: openpgp (one OpenPGP message per reader, ADR 0022; the default) or master-password (one ciphertext made by a Passwork client with keys from its master password, ADR 0026)',
});

export const Vault = Type.Object(
  {
    id: Id,
    name: Type.String(),
    description: Type.String(),
    policy: AccessPolicy,
    encryption: Type.Union([Type.Literal('server'), Type.Literal('e2e')], {
      description: 'e2e: values are made by the clients and the server cannot read them',
    }),
    e2eScheme: Type.Optional(E2eScheme),
    itemsOwnedByCreator: Type.Boolean({
      description:
        'Any active user with a registered OpenPGP key may create secrets and folders at the top of this (end-to-end encrypted) vault without a grant on it, and gets manage on what they create (personal items; the Passbolt API)',
    }),
    myLevel: Type.Union([Level, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Vault' },
);
export const CreateVault = Type.Object(
  {
    name: Name(200, { minLength: 1 }),
    description: Type.Optional(Text(2000)),
    policy: Type.Optional(AccessPolicy),
    encryption: Type.Optional(
      Type.Union([Type.Literal('server'), Type.Literal('e2e')], { default: 'server', description: 'Fixed at creation (ADR 0022)' }),
    ),
    e2eScheme: Type.Optional(
      Type.Literal('openpgp', {
        description:
          'E2E vaults made here are OpenPGP ones; master-password vaults are made by Passwork clients with their key material (ADR 0026)',
      }),
    ),
    itemsOwnedByCreator: Type.Optional(
      Type.Boolean({ default: false, description: 'Fixed at creation; end-to-end encrypted vaults only (ADR 0025)' }),
    ),
  },
  { additionalProperties: false },
);
export const UpdateVault = Type.Object(
  {
    name: Type.Optional(Name(200, { minLength: 1 })),
    description: Type.Optional(Text(2000)),
    policy: Type.Optional(AccessPolicy),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const FolderName = Segment(200, { minLength: 1, description: 'No slashes or backslashes' });

export const Folder = Type.Object(
  {
    id: Id,
    vaultId: Id,
    parentId: Type.Union([Id, Type.Null()], { description: 'null: at the top of the vault' }),
    name: Type.String(),
    path: Type.String({ description: 'Path inside the vault, e.g. /Servers/Linux' }),
    inheritPermissions: Type.Boolean(),
    inheritPolicy: Type.Boolean(),
    policy: AccessPolicy,
    myLevel: Type.Union([Level, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Folder' },
);
/**
 * The path down to a folder: each folder above it, from the top of its vault down (the vault and
 * the folder itself not included), with the folders in it you can see (as GET /folders lists them).
 */
export const FolderAncestors = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          id: Id,
          name: Type.String(),
          children: Type.Array(Folder, { description: 'The folders in it that you can see, by name' }),
        },
        { additionalProperties: false },
      ),
      { description: 'Top down: the first is at the top of the vault, the last is the parent' },
    ),
  },
  { additionalProperties: false, $id: 'FolderAncestors' },
);
export const CreateFolder = Type.Object(
  {
    vaultId: Id,
    parentId: Type.Optional(Type.Union([Id, Type.Null()])),
    name: FolderName,
    inheritPermissions: Type.Optional(Type.Boolean()),
    inheritPolicy: Type.Optional(Type.Boolean()),
    policy: Type.Optional(AccessPolicy),
  },
  { additionalProperties: false },
);
export const UpdateFolder = Type.Object(
  {
    name: Type.Optional(FolderName),
    parentId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'Move under another folder (null: the vault top)' })),
    vaultId: Type.Optional(Id),
    inheritPermissions: Type.Optional(Type.Boolean()),
    inheritPolicy: Type.Optional(Type.Boolean()),
    policy: Type.Optional(AccessPolicy),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Grant = Type.Object(
  {
    id: Id,
    nodeType: Type.Union([Type.Literal('vault'), Type.Literal('folder'), Type.Literal('secret')]),
    nodeId: Id,
    principalType: Type.Union([Type.Literal('user'), Type.Literal('group')]),
    principalId: Id,
    level: Level,
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Grant' },
);
export const CreateGrant = Type.Object(
  {
    nodeId: Id,
    principalType: Type.Union([Type.Literal('user'), Type.Literal('group')]),
    principalId: Id,
    level: Level,
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const Explain = Type.Object(
  {
    principalId: Id,
    nodeId: Id,
    level: Type.Union([Level, Type.Null()]),
    allowed: Type.Union([Type.Boolean(), Type.Null()], { description: 'Answer for `action`, when asked' }),
    roleNote: Type.Union([Type.String(), Type.Null()]),
    steps: Type.Array(
      Type.Object(
        {
          nodeId: Type.String(),
          nodeType: Type.String(),
          principalType: Type.String(),
          principalId: Type.String(),
          level: Level,
          distance: Type.Integer(),
          applies: Type.Boolean(),
          why: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
