import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { Name, TEXT_PATTERN } from './text.ts';

/** The type of a metadata field: how its value is checked and returned. */
export const MetadataType = Type.Union([
  Type.Literal('string'),
  Type.Literal('number'),
  Type.Literal('boolean'),
  Type.Literal('date'),
  Type.Literal('user'),
]);
export type MetadataType = 'string' | 'number' | 'boolean' | 'date' | 'user';

const Label = Name(100, { minLength: 1 });

/**
 * A value: a string for `string`, `date` (YYYY-MM-DD) and `user` (a user id), a number for
 * `number`, a boolean for `boolean`. One schema with a list of types rather than a union: the
 * validator's type coercion would turn 5 into "5" in a union's string branch.
 */
export const MetadataValue = Type.Unsafe<string | number | boolean>({
  type: ['string', 'number', 'boolean'],
  maxLength: 2000,
  // applies to strings only: a string value is display text (multi-line allowed), never a secret
  pattern: TEXT_PATTERN,
});

/** A metadata field of a vault, folder or secret. Metadata is stored and returned in clear: never put a secret in it. */
export const MetadataField = Type.Object(
  {
    nodeId: Id,
    section: Type.String(),
    name: Type.String(),
    type: MetadataType,
    value: MetadataValue,
    updatedBy: Type.Union([Type.String(), Type.Null()]),
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'MetadataField' },
);
export type MetadataField = Static<typeof MetadataField>;

export const MetadataQuery = Type.Object({ nodeId: Id }, { additionalProperties: false });

export const SetMetadata = Type.Object(
  { nodeId: Id, section: Label, name: Label, type: MetadataType, value: MetadataValue },
  { additionalProperties: false },
);
export type SetMetadata = Static<typeof SetMetadata>;

export const DeleteMetadata = Type.Object({ nodeId: Id, section: Label, name: Label }, { additionalProperties: false });
export type DeleteMetadata = Static<typeof DeleteMetadata>;
