// What the PMP adapter calls: the services the native routes call, plus the numbering of objects.
import type { Db } from '../../db/database.ts';
import type { Access } from '../../modules/access/access.service.ts';
import type { createAudited } from '../../modules/audit/audit-log.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import type { UsersService } from '../../modules/identities/users.service.ts';
import type { LookupService } from '../../modules/lookup/lookup.service.ts';
import type { NaturalKeys } from '../../modules/lookup/natural-keys.ts';
import type { MetadataService } from '../../modules/metadata/metadata.service.ts';
import type { Numbering } from '../../modules/numbering/numbering.service.ts';
import type { PasswordsService } from '../../modules/passwords/passwords.service.ts';
import type { SecretsService } from '../../modules/secrets/secrets.service.ts';
import type { VaultsService } from '../../modules/vaults/vaults.service.ts';
import type { WorkflowService } from '../../modules/workflow/workflow.service.ts';

export interface PmpDeps {
  /** Only handed to the numbering service (integer ids); the adapter runs no SQL. */
  db: Db;
  numbering: Numbering;
  auth: Pick<AuthService, 'authenticate'>;
  access: Access;
  audited: ReturnType<typeof createAudited>;
  /** Serialises a create-or-update by its natural key (across nodes on PostgreSQL). */
  naturalKeys: NaturalKeys;
  secrets: SecretsService;
  vaults: VaultsService;
  metadata: MetadataService;
  workflow: WorkflowService;
  users: UsersService;
  passwords: PasswordsService;
  lookup: LookupService;
}
