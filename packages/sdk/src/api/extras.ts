import { seg, type Transport } from '../transport.ts';
import type {
  BulkMove,
  BulkResult,
  BulkShare,
  Comment,
  CreateComment,
  CreateSecret,
  DeleteMetadata,
  ExportFile,
  ExportRequest,
  FolderLookupQuery,
  FolderRef,
  GeneratedPasswords,
  GeneratePasswords,
  ImportReport,
  ImportRequest,
  MetadataField,
  Page,
  PasswordStrength,
  PmpIds,
  PmpLookupQuery,
  Secret,
  SecretLookupQuery,
  SetMetadata,
  UpdateComment,
} from '../types.ts';

/** Typed fields on vaults, folders and secrets. Stored and returned in clear: never put a secret in them. */
export function metadataApi(t: Transport) {
  return {
    /** The metadata fields of a vault, folder or secret (`view`). */
    list(nodeId: string): Promise<Page<MetadataField>> {
      return t.json({ method: 'GET', path: '/api/v1/metadata', query: { nodeId } });
    },
    /** Sets a field in a section (`edit`): string, number, boolean, date (YYYY-MM-DD) or user id. */
    set(input: SetMetadata): Promise<MetadataField> {
      return t.json({ method: 'PUT', path: '/api/v1/metadata', body: input });
    },
    /** Deletes a field (`edit`). */
    async delete(input: DeleteMetadata): Promise<void> {
      await t.json({ method: 'DELETE', path: '/api/v1/metadata', body: input });
    },
  };
}

/** Comments on secrets: display text, never secrets (reading and adding need `view`). */
export function commentsApi(t: Transport) {
  return {
    /** A secret's comments, oldest first. */
    list(secretId: string): Promise<Page<Comment>> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(secretId)}/comments` });
    },
    /** Comments on a secret, or replies to one of its comments (`parentId`). */
    create(secretId: string, input: CreateComment): Promise<Comment> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(secretId)}/comments`, body: input });
    },
    /** Edits a comment (its author only). */
    update(id: string, input: UpdateComment): Promise<Comment> {
      return t.json({ method: 'PATCH', path: `/api/v1/comments/${seg(id)}`, body: input });
    },
    /** Deletes a comment and its replies (its author, or `manage` on the secret). */
    async delete(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/comments/${seg(id)}` });
    },
  };
}

/** The password generator and strength estimate. */
export function passwordsApi(t: Transport) {
  return {
    /**
     * Generates passwords. With a `folderId` or `vaultId` (`list` access), its password policy
     * applies under the `policy` given here; the answer says which policy was used.
     */
    generate(input: GeneratePasswords = {}): Promise<GeneratedPasswords> {
      return t.json({ method: 'POST', path: '/api/v1/passwords/generate', body: input });
    },
    /** Estimates how hard a password is to guess (score 0..4, entropy, advice); the server keeps nothing. */
    strength(password: string): Promise<PasswordStrength> {
      return t.json({ method: 'POST', path: '/api/v1/passwords/strength', body: { password } });
    },
  };
}

/**
 * Bulk operations on secrets: each item on its own (own transaction and audit record), at most
 * 1000 items. The call resolves even when items fail: check `failed` and each result's `error`.
 */
export function bulkApi(t: Transport) {
  return {
    /** Creates secrets; `results[i].id` is the new id of item i. */
    create(items: CreateSecret[]): Promise<BulkResult> {
      return t.json({ method: 'POST', path: '/api/v1/secrets/bulk/create', body: { items } });
    },
    /** Moves secrets to a folder, or to the top of a vault (`edit` on both ends). */
    move(input: BulkMove): Promise<BulkResult> {
      return t.json({ method: 'POST', path: '/api/v1/secrets/bulk/move', body: input });
    },
    /** Moves secrets to the trash (`edit`). */
    trash(ids: string[]): Promise<BulkResult> {
      return t.json({ method: 'POST', path: '/api/v1/secrets/bulk/delete', body: { ids } });
    },
    /** Shares secrets with a user (`manage`); `results[i].grantId` is the grant made. */
    share(input: BulkShare): Promise<BulkResult> {
      return t.json({ method: 'POST', path: '/api/v1/secrets/bulk/share', body: input });
    },
  };
}

/**
 * Lookups by name, for callers that know names rather than ids. Scoped to what you can see: an
 * object you cannot see answers `not_found`; several matches answer `conflict`.
 */
export function lookupApi(t: Transport) {
  async function secretBy(path: string, query: object): Promise<{ secret: Secret; etag: string }> {
    const { body, headers } = await t.jsonWithHeaders<Secret>({ method: 'GET', path, query });
    return { secret: body, etag: headers.get('etag') ?? `"v${body.version}"` };
  }
  return {
    /** A folder by vault name and path (`/A/B` or `\A\B`; `/` is the vault top). */
    folder(query: FolderLookupQuery): Promise<FolderRef> {
      return t.json({ method: 'GET', path: '/api/v1/lookup/folder', query });
    },
    /** A secret by vault name, folder path and name, with its ETag (as `secrets.get`). */
    secret(query: SecretLookupQuery): Promise<{ secret: Secret; etag: string }> {
      return secretBy('/api/v1/lookup/secret', query);
    },
    /** PMP resource (folder) and account (secret) names to ids. */
    pmp(query: PmpLookupQuery): Promise<PmpIds> {
      return t.json({ method: 'GET', path: '/api/v1/lookup/pmp', query });
    },
    /** A secret by a senhasegura identifier `username@hostname`, with its ETag. */
    credential(identifier: string): Promise<{ secret: Secret; etag: string }> {
      return secretBy('/api/v1/lookup/credential', { identifier });
    },
  };
}

/** Moving secrets in and out of Coffer as files. */
export function transferApi(t: Transport) {
  return {
    /**
     * Imports a CSV, KeePass XML, Bitwarden JSON or Coffer export file (its text in `content`) below a
     * vault or folder (`edit`); `dryRun: true` only reports. An entry whose name is taken in its folder
     * is skipped unless `onConflict` says `update` (a new version of the existing secret) or
     * `duplicate`; the report lists every clash. `timeoutMs` overrides the client's for a large file.
     */
    import(input: ImportRequest, opts: { timeoutMs?: number } = {}): Promise<ImportReport> {
      return t.json({ method: 'POST', path: '/api/v1/import', body: input, timeoutMs: opts.timeoutMs });
    },
    /**
     * Exports what you can reveal below a vault or folder as a file encrypted with `passphrase`
     * (audited as a reveal; give a `reason` when a policy asks for one).
     */
    export(input: ExportRequest, opts: { timeoutMs?: number } = {}): Promise<ExportFile> {
      return t.json({ method: 'POST', path: '/api/v1/export', body: input, timeoutMs: opts.timeoutMs });
    },
  };
}
