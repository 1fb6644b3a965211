// Rows -> wire objects (an allow-list of fields) for vaults, folders and grants.
import type { AccessPolicy, Level } from '@coffer/contracts/vaults';
import type { FolderTable, GrantTable, VaultTable } from '../../db/schema.ts';
import { levelName } from '../access/levels.ts';

export const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function presentVault(v: VaultTable, level: number) {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    policy: JSON.parse(v.policy) as AccessPolicy,
    encryption: v.encryption ?? 'server',
    ...(v.encryption === 'e2e' ? { e2eScheme: v.e2e_scheme ?? 'openpgp' } : {}),
    itemsOwnedByCreator: v.items_owned_by_creator === 1,
    myLevel: levelName(level),
    createdAt: iso(v.created_at) as string,
    updatedAt: iso(v.updated_at) as string,
  };
}

export function presentFolder(f: FolderTable, level: number) {
  return {
    id: f.id,
    vaultId: f.vault_id,
    parentId: f.parent_node_id === f.vault_id ? null : f.parent_node_id,
    name: f.name,
    path: f.path,
    inheritPermissions: f.inherit_permissions === 1,
    inheritPolicy: f.inherit_policy === 1,
    policy: JSON.parse(f.policy) as AccessPolicy,
    myLevel: levelName(level),
    createdAt: iso(f.created_at) as string,
    updatedAt: iso(f.updated_at) as string,
  };
}

export function presentGrant(g: GrantTable) {
  return {
    id: g.id,
    nodeType: g.node_type,
    nodeId: g.node_id,
    principalType: g.principal_type,
    principalId: g.principal_id,
    level: levelName(g.level) as Level,
    expiresAt: iso(g.expires_at),
    createdAt: iso(g.created_at) as string,
  };
}
