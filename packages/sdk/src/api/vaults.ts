import { seg, type Transport } from '../transport.ts';
import type {
  CreateFolder,
  CreateGrant,
  CreateVault,
  Explain,
  ExplainQuery,
  Folder,
  FolderAncestors,
  FolderListQuery,
  Grant,
  Page,
  UpdateFolder,
  UpdateVault,
  Vault,
} from '../types.ts';

/** Vaults: the roots of folder trees. */
export function vaultsApi(t: Transport) {
  return {
    /** Creates a vault; you get `manage` on it. */
    create(input: CreateVault): Promise<Vault> {
      return t.json({ method: 'POST', path: '/api/v1/vaults', body: input });
    },
    /** Vaults you can see, or see into. */
    list(): Promise<Page<Vault>> {
      return t.json({ method: 'GET', path: '/api/v1/vaults' });
    },
    get(id: string): Promise<Vault> {
      return t.json({ method: 'GET', path: `/api/v1/vaults/${seg(id)}` });
    },
    /** Renames, describes or sets the access policy of a vault (`manage`). */
    update(id: string, patch: UpdateVault): Promise<Vault> {
      return t.json({ method: 'PATCH', path: `/api/v1/vaults/${seg(id)}`, body: patch });
    },
    /** Deletes a vault (`manage`); a non-empty one needs `recursive: true`. */
    async delete(id: string, opts: { recursive?: boolean } = {}): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/vaults/${seg(id)}`, query: { recursive: opts.recursive } });
    },
  };
}

/** Folders inside a vault; permissions and policy inherit down the tree unless broken. */
export function foldersApi(t: Transport) {
  return {
    /** Creates a folder (`edit` on the parent). */
    create(input: CreateFolder): Promise<Folder> {
      return t.json({ method: 'POST', path: '/api/v1/folders', body: input });
    },
    /** Child folders of a vault's top level, or of `parentId`. */
    list(query: FolderListQuery): Promise<Page<Folder>> {
      return t.json({ method: 'GET', path: '/api/v1/folders', query });
    },
    get(id: string): Promise<Folder> {
      return t.json({ method: 'GET', path: `/api/v1/folders/${seg(id)}` });
    },
    /** The folders above one, top down, each with the child folders you can see: a tree open down to it. */
    ancestors(id: string): Promise<FolderAncestors> {
      return t.json({ method: 'GET', path: `/api/v1/folders/${seg(id)}/ancestors` });
    },
    /** Renames (`edit`), moves, breaks or restores inheritance, sets the policy (`manage`). */
    update(id: string, patch: UpdateFolder): Promise<Folder> {
      return t.json({ method: 'PATCH', path: `/api/v1/folders/${seg(id)}`, body: patch });
    },
    /** Deletes a folder; a non-empty one needs `recursive: true` (its secrets go to the trash). */
    async delete(id: string, opts: { recursive?: boolean } = {}): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/folders/${seg(id)}`, query: { recursive: opts.recursive } });
    },
  };
}

/** Grants of a level to a user or group on a vault, folder or secret (`manage` on the node). */
export function grantsApi(t: Transport) {
  return {
    create(input: CreateGrant): Promise<Grant> {
      return t.json({ method: 'POST', path: '/api/v1/grants', body: input });
    },
    /** Grants made directly on a node. */
    list(nodeId: string): Promise<Page<Grant>> {
      return t.json({ method: 'GET', path: '/api/v1/grants', query: { nodeId } });
    },
    /** Revokes a grant. */
    async delete(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/grants/${seg(id)}` });
    },
  };
}

/** Why access is what it is. */
export function accessApi(t: Transport) {
  return {
    /** Why a principal (default: you) can or cannot act on a vault, folder or secret, step by step. */
    explain(query: ExplainQuery): Promise<Explain> {
      return t.json({ method: 'GET', path: '/api/v1/access/explain', query });
    },
  };
}
