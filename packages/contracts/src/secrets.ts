import { type Static, Type } from 'typebox';
import { Cursor, Id, Timestamp } from './common.ts';
import { SecretMessages } from './e2e.ts';
import { Name, Text } from './text.ts';
import { Level } from './vaults.ts';

export const FieldType = Type.Union([
  Type.Literal('text'),
  Type.Literal('password'),
  Type.Literal('notes'),
  Type.Literal('url'),
  Type.Literal('email'),
  Type.Literal('number'),
  Type.Literal('date'),
  Type.Literal('file'),
  Type.Literal('otp'),
  Type.Literal('ssh_private_key'),
  Type.Literal('ssh_public_key'),
]);
export type FieldType =
  | 'text'
  | 'password'
  | 'notes'
  | 'url'
  | 'email'
  | 'number'
  | 'date'
  | 'file'
  | 'otp'
  | 'ssh_private_key'
  | 'ssh_public_key';

/** Field types whose values are encrypted and only returned by a reveal. */
export const sensitiveTypes: readonly FieldType[] = ['password', 'notes', 'file', 'otp', 'ssh_private_key'];

export const TemplateField = Type.Object(
  {
    id: Type.String({ maxLength: 20 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    slug: Type.String({ minLength: 1, maxLength: 60, pattern: '^[a-z][a-z0-9-]*$' }),
    type: FieldType,
    required: Type.Boolean(),
    searchable: Type.Boolean(),
    sensitive: Type.Boolean({ description: 'Derived from the type: encrypted, revealed separately' }),
  },
  { additionalProperties: false },
);
export type TemplateField = Omit<Static<typeof TemplateField>, 'type'> & { type: FieldType };

export const Template = Type.Object(
  {
    id: Id,
    name: Type.String(),
    slug: Type.String(),
    builtin: Type.Boolean(),
    fields: Type.Array(TemplateField),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Template' },
);
const TemplateFieldInput = Type.Object(
  {
    name: Name(100, { minLength: 1 }),
    slug: Type.String({ minLength: 1, maxLength: 60, pattern: '^[a-z][a-z0-9-]*$' }),
    type: FieldType,
    required: Type.Optional(Type.Boolean()),
    searchable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const CreateTemplate = Type.Object(
  {
    name: Name(100, { minLength: 1 }),
    slug: Type.String({ minLength: 1, maxLength: 60, pattern: '^[a-z][a-z0-9-]*$' }),
    fields: Type.Array(TemplateFieldInput, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
export const UpdateTemplate = Type.Object(
  {
    name: Type.Optional(Name(100, { minLength: 1 })),
    fields: Type.Optional(Type.Array(TemplateFieldInput, { minItems: 1, maxItems: 50 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Color = Type.String({ maxLength: 20, pattern: '^[a-z0-9#-]*$' });
export const Tag = Name(60, { minLength: 1 });
export const FieldValues = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,59}$' }), Type.String({ maxLength: 65536 }), {
  description: 'Values by field slug',
});

export const CustomField = Type.Object(
  { name: Name(100, { minLength: 1 }), type: FieldType, value: Type.String({ maxLength: 65536 }) },
  { additionalProperties: false },
);

/** E2E only: the plaintext format of the messages (Passbolt's resource types); absent: the JSON object of the sensitive fields. */
export const ValueFormat = Type.Union(
  [
    Type.Literal('password-string'),
    Type.Literal('password-and-description'),
    Type.Literal('totp'),
    Type.Literal('password-description-totp'),
  ],
  { description: "E2E only: the messages' plaintext format (a Passbolt resource type); absent or null: the JSON object of the fields" },
);
export type ValueFormat = Static<typeof ValueFormat>;

export const Secret = Type.Object(
  {
    id: Id,
    vaultId: Id,
    folderId: Type.Union([Id, Type.Null()]),
    path: Type.String({ description: 'Folder path inside the vault' }),
    template: Type.String({ description: 'Template slug' }),
    name: Type.String(),
    username: Type.String(),
    host: Type.String(),
    url: Type.String(),
    description: Type.String(),
    tags: Type.Array(Type.String()),
    color: Type.String(),
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    fields: Type.Record(Type.String(), Type.String(), { description: 'Non-sensitive field values' }),
    sensitiveFields: Type.Array(Type.String(), { description: 'Slugs of fields that hold a value; reveal to read them' }),
    customFields: Type.Array(
      Type.Object(
        { name: Type.String(), type: FieldType, value: Type.Union([Type.String(), Type.Null()]) },
        { additionalProperties: false },
      ),
    ),
    version: Type.Integer(),
    e2e: Type.Optional(Type.Boolean({ description: 'In an end-to-end encrypted vault: values are OpenPGP messages per reader' })),
    e2eScheme: Type.Optional(
      Type.Literal('master-password', {
        description:
          "In an end-to-end encrypted vault of the master-password scheme (Passwork's client-side encryption): the value is its client's ciphertext (ADR 0026)",
      }),
    ),
    valueFormat: Type.Optional(ValueFormat),
    rotationRequired: Type.Optional(
      Type.Boolean({ description: 'E2E only (single reads): a reader was removed or changed key since the value was written' }),
    ),
    myLevel: Type.Union([Level, Type.Null()]),
    shared: Type.Boolean({ description: 'Reached through a share to you rather than a folder grant' }),
    deletedAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Secret' },
);

export const CreateSecret = Type.Object(
  {
    vaultId: Id,
    folderId: Type.Optional(Type.Union([Id, Type.Null()])),
    template: Type.String({ minLength: 1, maxLength: 60, description: 'Template slug' }),
    name: Name(300, { minLength: 1 }),
    description: Type.Optional(Text(4000)),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    color: Type.Optional(Color),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    fields: Type.Optional(FieldValues),
    customFields: Type.Optional(Type.Array(CustomField, { maxItems: 20 })),
    messages: Type.Optional(SecretMessages),
    valueFormat: Type.Optional(Type.Union([ValueFormat, Type.Null()])),
  },
  { additionalProperties: false },
);
export type CreateSecret = Static<typeof CreateSecret>;

export const UpdateSecret = Type.Object(
  {
    name: Type.Optional(Name(300, { minLength: 1 })),
    description: Type.Optional(Text(4000)),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    color: Type.Optional(Color),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    fields: Type.Optional(FieldValues),
    customFields: Type.Optional(Type.Array(CustomField, { maxItems: 20 })),
    folderId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'Move to this folder (null: the vault top)' })),
    vaultId: Type.Optional(Id),
    messages: Type.Optional(SecretMessages),
    valueFormat: Type.Optional(Type.Union([ValueFormat, Type.Null()], { description: 'With messages only: the format of the new value' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateSecret = Static<typeof UpdateSecret>;

export const Reveal = Type.Object(
  {
    reason: Type.Optional(Text(500, { minLength: 1 })),
    fields: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export const Revealed = Type.Object(
  {
    id: Id,
    version: Type.Integer(),
    values: Type.Record(Type.String(), Type.String()),
    e2eScheme: Type.Optional(
      Type.Literal('master-password', {
        description: 'The values are the ciphertext a Passwork client made with its master password; only that client can open them',
      }),
    ),
    e2e: Type.Optional(
      Type.Object(
        {
          message: Type.String({ description: 'Your armored OpenPGP message; decrypt it with your private key' }),
          writtenBy: Type.Union([Id, Type.Null()]),
          writerKey: Type.Union([Type.String(), Type.Null()], {
            description: "The writer's registered public key, to verify the signature",
          }),
          rotationRequired: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const SecretVersion = Type.Object(
  {
    version: Type.Integer(),
    action: Type.String(),
    changedBy: Type.Union([Type.String(), Type.Null()]),
    byUsername: Type.Union([Type.String(), Type.Null()], { description: 'Username of changedBy; null when unknown or deleted' }),
    changedAt: Timestamp,
    changedFields: Type.Array(Type.String(), { description: 'Names only; values are never shown here' }),
  },
  { additionalProperties: false },
);

export const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    vaultId: Type.Optional(Id),
    folderId: Type.Optional(Id),
    direct: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Only secrets directly in folderId (or, with vaultId and no folderId, at the vault top), not in subfolders',
      }),
    ),
    template: Type.Optional(Type.String({ maxLength: 60 })),
    tag: Type.Optional(Type.Union([Tag, Type.Array(Tag, { maxItems: 10 })])),
    color: Type.Optional(Type.Union([Color, Type.Array(Color, { maxItems: 10 })])),
    expiringBefore: Type.Optional(Type.String({ format: 'date-time' })),
    includeShared: Type.Optional(Type.Boolean({ default: true })),
    sort: Type.Optional(Type.Union([Type.Literal('name'), Type.Literal('updated'), Type.Literal('created')])),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'Skip this many matches (offset paging; not with cursor)' }),
    ),
    withTotal: Type.Optional(Type.Boolean({ default: false, description: 'Also count every match (total)' })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const Share = Type.Object(
  {
    userId: Id,
    level: Type.Optional(Level),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    messages: Type.Optional(SecretMessages),
  },
  { additionalProperties: false },
);
