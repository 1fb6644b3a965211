import { type Static, Type } from 'typebox';
import { Id } from './common.ts';
import { CreateSecret } from './secrets.ts';
import { Level } from './vaults.ts';

/** The most items one bulk call takes; more is a 400 for the whole call. */
export const BULK_MAX = 1000;

/** A secret id (bulk calls act on secrets only). */
export const SecretId = Type.String({ minLength: 30, maxLength: 30, pattern: '^sec_[0-9a-z]{26}$', description: 'Secret id' });

const SecretIds = Type.Array(SecretId, { minItems: 1, maxItems: BULK_MAX, uniqueItems: true });

export const BulkCreate = Type.Object(
  { items: Type.Array(CreateSecret, { minItems: 1, maxItems: BULK_MAX }) },
  { additionalProperties: false },
);
export type BulkCreate = Static<typeof BulkCreate>;

export const BulkMove = Type.Object(
  {
    ids: SecretIds,
    vaultId: Id,
    folderId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'Target folder (null or absent: the vault top)' })),
  },
  { additionalProperties: false },
);
export type BulkMove = Static<typeof BulkMove>;

export const BulkDelete = Type.Object({ ids: SecretIds }, { additionalProperties: false });
export type BulkDelete = Static<typeof BulkDelete>;

export const BulkShare = Type.Object(
  {
    ids: SecretIds,
    userId: Id,
    level: Level,
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type BulkShare = Static<typeof BulkShare>;

export const BulkItemResult = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: 'Position of the item in the request' }),
    ok: Type.Boolean(),
    id: Type.Optional(Id),
    grantId: Type.Optional(Id),
    error: Type.Optional(
      Type.Object(
        {
          code: Type.String({ description: 'An error code of docs/errors.md' }),
          message: Type.String(),
          details: Type.Optional(
            Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }), {
              description: 'Paths inside the item',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BulkItemResult = Static<typeof BulkItemResult>;

export const BulkResult = Type.Object(
  {
    results: Type.Array(BulkItemResult, { description: 'One per item, in request order' }),
    succeeded: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type BulkResult = Static<typeof BulkResult>;
