import type { Trx } from '../../db/database.ts';
import type { GrantListener } from './core.ts';
import { createCore, type VaultsDeps } from './core.ts';
import { createFind } from './find.ts';
import { createFolders } from './folders.ts';
import { createGrants } from './grants.ts';
import { createNodes } from './nodes.ts';
import { createSecretGrants } from './secret-grants.ts';
import { createVaults } from './vaults.ts';

export type { VaultsDeps } from './core.ts';
export type { NodeQuery, TreeNode } from './nodes.ts';
export { presentFolder, presentGrant, presentVault } from './vaults.presenter.ts';

/**
 * Vaults, folder trees and grants. One file per use case group (vaults.ts, folders.ts, grants.ts)
 * over shared visibility checks and row reads (core.ts); rows -> wire objects in
 * vaults.presenter.ts. Invariants:
 * - a node the caller cannot see (not even through something inside it) answers exactly like a
 *   missing one (404);
 * - folder names are unique among siblings (canonical form); paths are `/A/B` inside the vault;
 * - deleting a non-empty folder needs `recursive`; its secrets go to the trash; a vault with
 *   secrets (trash included) is not deleted;
 * - grant and revoke need `manage`; moving needs `manage` on the folder and `edit` at the target;
 *   breaking or restoring inheritance needs `manage`.
 */
export function createVaultsService(deps: VaultsDeps) {
  const core = createCore(deps);
  const vaults = createVaults(core);
  const folders = createFolders(core);
  const grants = createGrants(core);
  const nodes = createNodes(core);
  const find = createFind(core);
  const secretGrants = createSecretGrants(core, grants);

  return {
    createVault: vaults.createVault,
    ownedItemsVault: vaults.ownedItemsVault,
    listVaults: vaults.listVaults,
    getVault: vaults.getVault,
    updateVault: vaults.updateVault,
    deleteVault: vaults.deleteVault,
    createFolder: folders.createFolder,
    getFolder: folders.getFolder,
    listFolders: folders.listFolders,
    folderAncestors: folders.folderAncestors,
    updateFolder: folders.updateFolder,
    deleteFolder: folders.deleteFolder,
    searchNodes: nodes.searchNodes,
    findFolders: find.findFolders,
    ancestries: find.ancestries,
    createGrant: grants.createGrant,
    listGrants: grants.listGrants,
    deleteGrant: grants.deleteGrant,
    secretPermissions: secretGrants.secretPermissions,
    ownGrantsAmong: secretGrants.ownGrantsAmong,
    simulateSecretGrants: secretGrants.simulateSecretGrants,
    applySecretGrants: secretGrants.applySecretGrants,
    requireNode: core.requireNode,
    requireVisibleVault: core.requireVisibleVault,
    mayCreateOwned: core.mayCreateOwned,
    grantManage: core.grantManage,
    nodeInfo: grants.nodeInfo,
    seesInside: core.seesInside,
    onGrantWritten: (listener: GrantListener) => {
      core.grantListeners.push(listener);
    },
    onPathsChanged: (listener: (trx: Trx, folderIds: string[]) => Promise<void>) => {
      core.pathListeners.push(listener);
    },
  };
}
export type VaultsService = ReturnType<typeof createVaultsService>;
