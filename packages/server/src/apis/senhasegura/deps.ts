// What the senhasegura adapter needs from the core: services only (no SQL here).
import type { Db } from '../../db/database.ts';
import type { Access } from '../../modules/access/access.service.ts';
import type { createAudited } from '../../modules/audit/audit-log.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import type { CredentialKeys } from '../../modules/lookup/credential-keys.ts';
import type { LookupService } from '../../modules/lookup/lookup.service.ts';
import type { NaturalKeys } from '../../modules/lookup/natural-keys.ts';
import type { MetadataService } from '../../modules/metadata/metadata.service.ts';
import type { Numbering } from '../../modules/numbering/numbering.service.ts';
import type { RotationService } from '../../modules/rotation/rotation.service.ts';
import type { SecretsService } from '../../modules/secrets/secrets.service.ts';
import type { VaultsService } from '../../modules/vaults/vaults.service.ts';
import type { WorkflowService } from '../../modules/workflow/workflow.service.ts';

export interface SenhaseguraDeps {
  db: Db;
  auth: Pick<AuthService, 'authenticate' | 'exchangeApiKey'>;
  secrets: Pick<SecretsService, 'get' | 'create' | 'update' | 'revealCard' | 'search' | 'trash' | 'restore' | 'sameSensitive'>;
  vaults: Pick<VaultsService, 'createVault' | 'createFolder' | 'getFolder' | 'listFolders'>;
  lookup: Pick<LookupService, 'folder'>;
  metadata: Pick<MetadataService, 'list' | 'set'>;
  numbering: Pick<Numbering, 'numberOf' | 'numbersOf' | 'idOf'>;
  access: Access;
  /** Custody release: the caller's checkout checked in. */
  workflow: Pick<WorkflowService, 'checkin' | 'listCheckouts'>;
  audited: ReturnType<typeof createAudited>;
  /** The automatic change state of credentials (modules/rotation): `automatic_change` in lists. */
  rotation: Pick<RotationService, 'states'>;
  /** Serialises a create-or-update by its natural key (across nodes on PostgreSQL). */
  naturalKeys: NaturalKeys;
  /** The vault credentials and devices created through this API land in (created on first use). */
  vaultName?: string;
}

/** What the routes use: the deps plus the lookups built from them. */
export interface Ctx extends SenhaseguraDeps {
  keys: CredentialKeys;
  vaultName: string;
}
