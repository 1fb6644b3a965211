import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { Segment, Text } from './text.ts';

/**
 * A file name: 1-255 characters, no control characters, no path separators, not `.` or `..`.
 * The server checks the same rules again (names also arrive in the `x-filename` header).
 */
export const AttachmentName = Segment(255, { minLength: 1 });

/** A media type such as `application/pdf` (parameters are not kept). */
export const MediaType = Type.String({
  minLength: 3,
  maxLength: 127,
  pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$',
});

/** An attachment of a secret. The content is encrypted at rest and only served by a download. */
export const Attachment = Type.Object(
  {
    id: Id,
    secretId: Id,
    name: Type.String(),
    contentType: Type.String({ description: 'As declared at upload; downloads are always served as application/octet-stream' }),
    size: Type.Integer({ minimum: 0, description: 'Bytes' }),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Attachment' },
);
export type Attachment = Static<typeof Attachment>;

/** Upload: the raw body is the file (Content-Type: application/octet-stream). */
export const UploadQuery = Type.Object(
  {
    name: Type.Optional(AttachmentName),
    contentType: Type.Optional(MediaType),
  },
  { additionalProperties: false },
);

export const UploadHeaders = Type.Object({
  'x-filename': Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'The file name, percent-encoded UTF-8' })),
  'x-content-type': Type.Optional(MediaType),
});

export const DownloadQuery = Type.Object({ reason: Type.Optional(Text(500, { minLength: 1 })) }, { additionalProperties: false });

export const DownloadHeaders = Type.Object({
  'x-reveal-reason': Type.Optional(Text(500, { minLength: 1, description: 'The reason, when the policy asks for one' })),
});

export const AttachmentParams = Type.Object({ id: Id, attachmentId: Id }, { additionalProperties: false });
