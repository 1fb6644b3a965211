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

export const ImportRequest = Type.Object(
  {
    format: ImportFormat,
    content: Type.String({ minLength: 1, maxLength: IMPORT_MAX_CHARS, description: 'The file text' }),
    vaultId: Id,
    folderId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'Import below this folder (default: the vault top)' })),
    dryRun: Type.Optional(Type.Boolean({ description: 'Check and report, create nothing' })),
    passphrase: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'coffer-export only' })),
  },
  { additionalProperties: false },
);
export type ImportRequest = Static<typeof ImportRequest>;

export const ImportReport = Type.Object(
  {
    dryRun: Type.Boolean(),
    created: Type.Integer({ description: 'Secrets created (or, in a dry run, that would be)' }),
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
        },
        { additionalProperties: false },
      ),
      { description: 'What was (or would be) created, never values' },
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
