// What the Passbolt adapter needs from the core: services only (no SQL here: `db` is handed to the
// numbering service for the UUIDs of objects, and to the server key's reader).
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import type { TotpService } from '../../modules/auth/totp.service.ts';
import type { CommentsService } from '../../modules/comments/comments.service.ts';
import type { UserKeysService } from '../../modules/e2e/user-keys.ts';
import type { GroupsService } from '../../modules/identities/groups.service.ts';
import type { SetupService } from '../../modules/identities/setup.ts';
import type { UserLookupService } from '../../modules/identities/user-lookup.service.ts';
import type { UsersService } from '../../modules/identities/users.service.ts';
import type { Numbering } from '../../modules/numbering/numbering.service.ts';
import type { SecretsService } from '../../modules/secrets/secrets.service.ts';
import type { TemplatesService } from '../../modules/secrets/templates.service.ts';
import type { SealManager } from '../../modules/sys/seal.ts';
import type { VaultsService } from '../../modules/vaults/vaults.service.ts';

export interface PassboltDeps {
  db: Db;
  clock: Clock;
  seal: SealManager;
  auth: AuthService;
  totp: TotpService;
  users: UsersService;
  groups: GroupsService;
  userKeys: UserKeysService;
  userLookup: UserLookupService;
  /** Account setup by key (Passbolt's invitation): users.create plus a setup token. */
  setup: SetupService;
  secrets: SecretsService;
  vaults: VaultsService;
  templates: TemplatesService;
  /** Comments on resources (modules/comments). */
  comments: CommentsService;
  numbering: Pick<Numbering, 'numberOf' | 'numbersOf' | 'idOf'>;
  /** The E2E vault of personal items resources live in (config `passboltVault`, default "Passbolt"). */
  vaultName: string;
  /** Session lifetimes (the JWT and cookie lifetimes follow them). */
  session: { idleSeconds: number; refreshSeconds: number };
}
