import { type Static, Type } from 'typebox';
import { Id } from './common.ts';
import { Text } from './text.ts';

/** Largest import file (the text inside the JSON body); the import route takes bodies up to 50 MiB. */
export const IMPORT_MAX_CHARS = 50 * 1024 * 1024;

export const ImportFormat = Type.Union(
  [Type.Literal('csv'), Type.Literal('keepass-xml'), Type.Literal('bitwarden-json'), Type.Literal('coffer-export')],
  {
    description:
      'csv: a header row and one entry per row; keepass-xml: KeePassXC "KeePass XML (unencrypted)"; ' +
      'bitwarden-json: Bitwarden unencrypted JSON; coffer-export: a file from POST /api/v1/export',
  },
);
export type ImportFormat = 'csv' | 'keepass-xml' | 'bitwarden-json' | 'coffer-export';

/**
 * What an entry whose name is already taken in its target folder becomes. Names clash when they are
 * equal after NFKC normalisation, trimming and lower-casing (the canonical form of folder and vault
 * names): `Gmail`, ` gmail ` and `GMAIL` clash. Trashed secrets and secrets the caller cannot see do
 * not count.
 */
export const ImportConflict = Type.Union([Type.Literal('skip'), Type.Literal('update'), Type.Literal('duplicate')], {
  description:
    'What to do with an entry whose name is taken in its folder (same name ignoring case and surrounding spaces): ' +
    'skip (default) leaves the existing secret alone and reports the entry as skipped; update writes the entry over ' +
    'the existing secret as a new version (the file wins where it has a value; what it leaves empty is kept); ' +
    'duplicate creates a second secret of that name. An entry repeating an earlier entry of the same file in the same ' +
    'folder is skipped unless duplicate.',
});
export type ImportConflict = 'skip' | 'update' | 'duplicate';

export const ImportRequest = Type.Object(
  {
    format: ImportFormat,
    content: Type.String({ minLength: 1, maxLength: IMPORT_MAX_CHARS, description: 'The file text' }),
    vaultId: Id,
    folderId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'Import below this folder (default: the vault top)' })),
    dryRun: Type.Optional(Type.Boolean({ description: 'Check and report, create nothing' })),
    passphrase: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'coffer-export only' })),
    onConflict: Type.Optional(ImportConflict),
  },
  { additionalProperties: false },
);
export type ImportRequest = Static<typeof ImportRequest>;

export const ImportReport = Type.Object(
  {
    dryRun: Type.Boolean(),
    onConflict: ImportConflict,
    created: Type.Integer({ description: 'Secrets created (or, in a dry run, that would be)' }),
    updated: Type.Integer({ description: 'Existing secrets given a new version (onConflict update), or that would be' }),
    folders: Type.Integer({ description: 'Folders created (or that would be)' }),
    skipped: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ description: 'Position in the file from 0: CSV data row, KeePass entry, Bitwarden item, export record' }),
          reason: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    items: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          path: Type.String({ description: 'Folder path inside the vault' }),
          template: Type.String(),
          id: Type.Optional(Id),
          outcome: Type.Union([Type.Literal('created'), Type.Literal('updated')]),
        },
        { additionalProperties: false },
      ),
      { description: 'What was (or would be) created or updated, never values; an updated item carries the id of the existing secret' },
    ),
    clashes: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ description: 'Position of the entry in the file' }),
          name: Type.String(),
          path: Type.String({ description: 'Folder path inside the vault' }),
          existingIds: Type.Array(Id, {
            maxItems: 20,
            description: 'Secrets of this name already in the folder (at most 20 listed; empty when the clash is within the file)',
          }),
          earlierIndex: Type.Optional(Type.Integer({ description: 'An earlier entry of the file with the same name and folder' })),
          outcome: Type.Union([Type.Literal('skipped'), Type.Literal('updated'), Type.Literal('duplicated')]),
        },
        { additionalProperties: false },
      ),
      { description: 'Every entry whose name was taken in its folder, and what became of it (also in a dry run)' },
    ),
  },
  { additionalProperties: false },
);
export type ImportReport = Static<typeof ImportReport>;

export const ExportRequest = Type.Object(
  {
    vaultId: Id,
    folderId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'Export this folder and below (default: the whole vault)' })),
    passphrase: Type.String({ minLength: 12, maxLength: 1024, description: 'The file is encrypted with a key derived from it (Argon2id)' }),
    reason: Type.Optional(Text(500, { description: 'Required when a policy asks a reason to reveal some of the secrets' })),
  },
  { additionalProperties: false },
);
export type ExportRequest = Static<typeof ExportRequest>;

export const ExportFile = Type.Object(
  {
    format: Type.Literal('coffer-export'),
    content: Type.String({ description: 'The encrypted file: import it with format coffer-export and the passphrase' }),
    count: Type.Integer({ description: 'Secrets in the file' }),
  },
  { additionalProperties: false },
);
export type ExportFile = Static<typeof ExportFile>;
