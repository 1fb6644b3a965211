// What the Passwork adapter needs from the core: services only (no SQL here).
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AttachmentsService } from '../../modules/attachments/attachments.service.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';
import type { ClientKeysService } from '../../modules/client-keys/client-keys.service.ts';
import type { UsersService } from '../../modules/identities/users.service.ts';
import type { MetadataService } from '../../modules/metadata/metadata.service.ts';
import type { SecretsService } from '../../modules/secrets/secrets.service.ts';
import type { TemplatesService } from '../../modules/secrets/templates.service.ts';
import type { VaultsService } from '../../modules/vaults/vaults.service.ts';

export interface PassworkDeps {
  db: Db;
  clock: Clock;
  auth: Pick<AuthService, 'authenticate' | 'exchangeApiKey' | 'refresh' | 'logout'>;
  users: Pick<UsersService, 'get'>;
  secrets: Pick<
    SecretsService,
    | 'get'
    | 'create'
    | 'update'
    | 'revealCard'
    | 'search'
    | 'trash'
    | 'setFavorite'
    | 'favoritesAmong'
    | 'favorites'
    | 'recent'
    | 'inbox'
    | 'inboxCount'
    | 'openShare'
    | 'markSharesSeen'
    | 'tagsAndColors'
  >;
  vaults: Pick<
    VaultsService,
    | 'createVault'
    | 'listVaults'
    | 'getVault'
    | 'updateVault'
    | 'deleteVault'
    | 'createFolder'
    | 'getFolder'
    | 'listFolders'
    | 'updateFolder'
    | 'deleteFolder'
    | 'findFolders'
    | 'ancestries'
  >;
  attachments: Pick<AttachmentsService, 'list' | 'upload' | 'remove' | 'download'>;
  templates: Pick<TemplatesService, 'bySlug'>;
  metadata: Pick<MetadataService, 'list' | 'set'>;
  clientKeys: ClientKeysService;
  /** The largest attachment (bytes); bodies carrying files are allowed about twice that, base64 twice. */
  attachmentMaxBytes: number;
  /** Session lifetimes, told to clients as token TTLs. */
  session: { idleSeconds: number; refreshSeconds: number };
}
