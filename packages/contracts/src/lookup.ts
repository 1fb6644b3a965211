import { type Static, Type } from 'typebox';
import { Id } from './common.ts';

/**
 * Lookups by names, for callers (and compatibility adapters) that know names rather than ids.
 * Every lookup is scoped to what the caller can see: an object they cannot see answers exactly
 * like a missing one (404). Several matches answer 409 with the count of matches they can see.
 */

/** A folder path inside a vault: `/A/B` or Secret Server's `\A\B`; `/` (or empty) is the vault top. */
export const LookupPath = Type.String({
  maxLength: 2000,
  description: 'Folder path inside the vault: /A/B or \\A\\B; matched without regard to case or surrounding spaces',
});

export const FolderLookupQuery = Type.Object(
  {
    vault: Type.String({ minLength: 1, maxLength: 200, description: 'Vault name (case-insensitive)' }),
    path: LookupPath,
  },
  { additionalProperties: false },
);
export type FolderLookupQuery = Static<typeof FolderLookupQuery>;

export const FolderRef = Type.Object(
  {
    vaultId: Id,
    folderId: Type.Union([Id, Type.Null()], { description: 'null: the top of the vault' }),
    path: Type.String({ description: 'The stored path, e.g. /Servers/Linux' }),
  },
  { additionalProperties: false },
);
export type FolderRef = Static<typeof FolderRef>;

export const SecretLookupQuery = Type.Object(
  {
    vault: Type.String({ minLength: 1, maxLength: 200, description: 'Vault name (case-insensitive)' }),
    path: LookupPath,
    name: Type.String({ minLength: 1, maxLength: 300, description: 'Secret name (case-insensitive)' }),
  },
  { additionalProperties: false },
);
export type SecretLookupQuery = Static<typeof SecretLookupQuery>;

export const PmpLookupQuery = Type.Object(
  {
    resourceName: Type.String({ minLength: 1, maxLength: 200, description: 'PMP resource: the name of a folder holding the accounts' }),
    accountName: Type.String({
      minLength: 1,
      maxLength: 300,
      description: 'PMP account: a secret in that folder whose username is this (else whose name is this)',
    }),
  },
  { additionalProperties: false },
);
export type PmpLookupQuery = Static<typeof PmpLookupQuery>;

export const PmpIds = Type.Object(
  { resourceId: Id, accountId: Id },
  { additionalProperties: false, description: 'resourceId: the folder id; accountId: the secret id' },
);
export type PmpIds = Static<typeof PmpIds>;

export const CredentialLookupQuery = Type.Object(
  {
    identifier: Type.String({
      minLength: 3,
      maxLength: 600,
      description: 'senhasegura style username@hostname (split at the last @)',
    }),
  },
  { additionalProperties: false },
);
export type CredentialLookupQuery = Static<typeof CredentialLookupQuery>;
