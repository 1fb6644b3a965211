// End-to-end encrypted vaults (ADR 0022): OpenPGP keys of users and of the server, the messages of
// an E2E secret (one per reader), and who the readers are.
import { type Static, Type } from 'typebox';
import { Id, Timestamp } from './common.ts';

export const ArmoredKey = Type.String({ minLength: 1, maxLength: 65536, description: 'An ASCII-armored OpenPGP public key' });
export const ArmoredMessage = Type.String({ minLength: 1, maxLength: 65536, description: 'An ASCII-armored OpenPGP message' });

export const RegisterOpenpgpKey = Type.Object({ armoredKey: ArmoredKey }, { additionalProperties: false });

export const OpenpgpKey = Type.Object(
  {
    userId: Type.Union([Id, Type.Null()], { description: 'null: the server key' }),
    armoredKey: Type.String(),
    fingerprint: Type.String({ pattern: '^([0-9a-f]{40}|[0-9a-f]{64})$' }),
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    algorithm: Type.String(),
    bits: Type.Integer(),
    keyCreated: Timestamp,
    expires: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false, $id: 'OpenpgpKey' },
);
export type OpenpgpKey = Static<typeof OpenpgpKey>;

export const ServerOpenpgpKey = Type.Object(
  {
    armoredKey: Type.String(),
    fingerprint: Type.String({ pattern: '^([0-9a-f]{40}|[0-9a-f]{64})$' }),
    keyId: Type.String(),
    keyCreated: Timestamp,
  },
  { additionalProperties: false },
);

export const OpenpgpKeyQuery = Type.Object({ username: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/** One reader's message of an E2E secret. */
export const SecretMessage = Type.Object({ userId: Id, message: ArmoredMessage }, { additionalProperties: false });
export type SecretMessage = Static<typeof SecretMessage>;
export const SecretMessages = Type.Array(SecretMessage, { maxItems: 1000 });

export const PutMessages = Type.Object({ messages: SecretMessages }, { additionalProperties: false });

export const Reader = Type.Object(
  {
    userId: Id,
    username: Type.String(),
    key: Type.Union([OpenpgpKey, Type.Null()], { description: 'null: the reader has registered no key (nobody can encrypt for them)' }),
    hasMessage: Type.Boolean({ description: 'A message for this reader is stored (always false for a vault or folder)' }),
    stale: Type.Boolean({ description: 'The stored message is for a key the reader has since replaced' }),
  },
  { additionalProperties: false },
);

export const Readers = Type.Object(
  {
    items: Type.Array(Reader),
    /** Users holding a message who are no longer readers (their access was removed). */
    formerReaders: Type.Array(Id),
    rotationRequired: Type.Boolean({
      description: 'A reader was removed or replaced their key since the value was written: change the value',
    }),
  },
  { additionalProperties: false },
);

export const VaultReadersQuery = Type.Object({ folderId: Type.Optional(Id) }, { additionalProperties: false });
