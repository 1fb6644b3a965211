import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { Text } from './text.ts';

/** A comment's text: display text (multi-line allowed), 1..255 characters; never a secret. */
export const CommentContent = Text(255, { minLength: 1 });

/** A comment on a secret; `parentId` names the comment it answers (same secret). */
export const Comment = Type.Object(
  {
    id: Id,
    secretId: Id,
    parentId: Type.Union([Id, Type.Null()]),
    content: Type.String(),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    updatedBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Comment' },
);
export type Comment = Static<typeof Comment>;

export const CreateComment = Type.Object({ content: CommentContent, parentId: Type.Optional(Id) }, { additionalProperties: false });
export type CreateComment = Static<typeof CreateComment>;

export const UpdateComment = Type.Object({ content: CommentContent }, { additionalProperties: false });
export type UpdateComment = Static<typeof UpdateComment>;
