// What the Secret Server adapter calls: the services the native routes call, plus the numbering
// of objects (integer ids). No SQL here: `db` is only handed to the numbering service.
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import type { LookupService } from '../../modules/lookup/lookup.service.ts';
import type { MetadataService } from '../../modules/metadata/metadata.service.ts';
import type { Numbering } from '../../modules/numbering/numbering.service.ts';
import type { PasswordsService } from '../../modules/passwords/passwords.service.ts';
import type { RotationService } from '../../modules/rotation/rotation.service.ts';
import type { SecretsService } from '../../modules/secrets/secrets.service.ts';
import type { TemplatesService } from '../../modules/secrets/templates.service.ts';
import type { VaultsService } from '../../modules/vaults/vaults.service.ts';
import type { WorkflowService } from '../../modules/workflow/workflow.service.ts';

export interface SecretServerDeps {
  /** Only handed to the numbering service (integer ids); the adapter runs no SQL. */
  db: Db;
  clock: Clock;
  numbering: Pick<Numbering, 'numberOf' | 'numbersOf' | 'idOf'>;
  auth: Pick<AuthService, 'authenticate' | 'login' | 'refresh'>;
  secrets: SecretsService;
  templates: Pick<TemplatesService, 'catalog'>;
  vaults: VaultsService;
  lookup: Pick<LookupService, 'folder' | 'secret'>;
  workflow: WorkflowService;
  metadata: MetadataService;
  passwords: Pick<PasswordsService, 'generate'>;
  /** Remote rotation: the heartbeat and password-changing fields, change-password and heartbeat. */
  rotation: Pick<RotationService, 'states' | 'hasTarget' | 'verify'>;
}
