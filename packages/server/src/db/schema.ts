import type { AuditTables } from './schema-audit.ts';
import type { CommentTables } from './schema-comments.ts';
import type { E2eTables } from './schema-e2e.ts';
import type { JobQueueWebhookTables } from './schema-jobs.ts';
import type { KeySignInTables } from './schema-key-sign-in.ts';
import type { NumberingTables } from './schema-numbers.ts';
import type { PersonalTables } from './schema-personal.ts';
import type { RotationTables } from './schema-rotation.ts';
import type { WorkflowTables } from './schema-workflow.ts';

export type { AuditCheckpointTable, AuditHeadTable, AuditLogTable, AuditSealedTable } from './schema-audit.ts';
export type { QueueJobState, QueueJobTable, WebhookDeliveryState, WebhookDeliveryTable, WebhookTable } from './schema-jobs.ts';
export type { AccessApprovalTable, AccessRequestTable, AdminApprovalTable, AdminRequestTable, CheckoutTable } from './schema-workflow.ts';

/** Row types. Times are milliseconds since the epoch; booleans are 0/1 on both dialects. */
export interface SealConfigTable {
  id: number;
  mode: 'keyfile' | 'shamir';
  shares: number;
  threshold: number;
  install_id: string;
  created_at: number;
}

export interface KeyringTermTable {
  term: number;
  wrapped_key: string;
  created_at: number;
}

export interface KeyringStateTable {
  id: number;
  active_term: number;
}

export interface SystemKeyTable {
  name: string;
  value_enc: string;
  public_value: string | null;
  created_at: number;
}

export type Role = 'administrator' | 'password_administrator' | 'password_auditor' | 'password_user';

export interface UserTable {
  id: string;
  username: string;
  username_canonical: string;
  kind: 'human' | 'api';
  first_name: string;
  last_name: string;
  email: string;
  department: string;
  location: string;
  landline_country_code: string;
  landline: string;
  landline_ext: string;
  mobile_country_code: string;
  mobile: string;
  role: Role;
  all_passwords: number;
  status: 'active' | 'disabled';
  password_hash: string | null;
  totp_secret_enc: string | null;
  totp_enabled: number;
  totp_last_step: number | null;
  created_at: number;
  updated_at: number;
  /** The last successful login (migration 0011); null: none since. */
  last_login_at: number | null;
  /** 1: the password was set by an administrator (or generated) and must be changed at the next
   * login (migration 0010; optional here so rows written without it get the default 0). */
  must_change_password?: number;
  /** An API user's host (migration 0014): requests only from its addresses; null: not bound. */
  bound_host?: string | null;
}

export interface GroupTable {
  id: string;
  name: string;
  name_canonical: string;
  description: string;
  created_at: number;
}

export interface GroupMemberTable {
  group_id: string;
  user_id: string;
}

export interface SessionTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  auth_method: 'password' | 'password+totp' | 'apikey-exchange' | 'openpgp';
  api_key_id: string | null;
  source_ip: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  /** The surface that issued the session and alone accepts it (migration 0015; a `via`). */
  audience: string;
}

export interface RefreshTokenTable {
  token_hash: string;
  family_id: string;
  session_id: string;
  user_id: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface ApiKeyTable {
  id: string;
  user_id: string;
  name: string;
  key_hash: string;
  allowed_cidrs: string;
  scopes: string;
  expires_at: number | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** 1: created without an expiry, given one by migration 0009. */
  expiry_imposed: number;
}

export interface RecoveryCodeTable {
  user_id: string;
  code_hash: string;
}

export interface LoginFailureTable {
  /** Keyed hash of the canonical username: a secret typed into the username field is not kept. */
  account_key: string;
  failures: number;
  locked_until: number;
  updated_at: number;
}

export interface JobTable {
  name: string;
  /** incomplete: the re-encryption walked everything but left values that failed their integrity check. */
  status: 'pending' | 'running' | 'done' | 'incomplete';
  state: string;
  lease_owner: string | null;
  lease_until: number | null;
  updated_at: number;
}

export interface VaultTable {
  id: string;
  name: string;
  name_canonical: string;
  description: string;
  /** JSON AccessPolicy (requireReason, …), inherited down the tree. */
  policy: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  /** 'server' or 'e2e' (migration 0018; optional here so rows written without it get 'server'). */
  encryption?: 'server' | 'e2e';
  /** 1: any active human user with an OpenPGP key may create at the root and owns what they create (migration 0021). */
  items_owned_by_creator?: number;
  /** E2E vaults: 'openpgp' or 'master-password' (migration 0023); null for 'server'. */
  e2e_scheme?: E2eScheme | null;
}

/** How the clients of an end-to-end encrypted vault encrypt (ADR 0022, 0026). */
export type E2eScheme = 'openpgp' | 'master-password';

export interface FolderTable {
  id: string;
  vault_id: string;
  /** The parent folder's id, or the vault id for a top-level folder. */
  parent_node_id: string;
  name: string;
  name_canonical: string;
  /** `/A/B` inside the vault. */
  path: string;
  depth: number;
  inherit_permissions: number;
  inherit_policy: number;
  policy: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface TreePathTable {
  ancestor_id: string;
  descendant_id: string;
  depth: number;
  inherits: number;
}

export type NodeType = 'vault' | 'folder' | 'secret';

export interface GrantTable {
  id: string;
  node_id: string;
  node_type: NodeType;
  principal_type: 'user' | 'group';
  principal_id: string;
  level: number;
  /** A single secret shared to a user (shows in their inbox). */
  is_share: number;
  expires_at: number | null;
  created_by: string | null;
  created_at: number;
}

export interface TemplateTable {
  id: string;
  name: string;
  slug: string;
  builtin: number;
  fields: string;
  created_at: number;
  updated_at: number;
}

export interface SecretTable {
  id: string;
  vault_id: string;
  parent_node_id: string;
  template_id: string;
  name: string;
  username: string;
  host: string;
  url: string;
  description: string;
  color: string;
  tags: string;
  clear_fields: string;
  search_text: string;
  expires_at: number | null;
  version: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  deleted_by: string | null;
  /** 1: in an E2E vault, values are OpenPGP messages per reader (migration 0018; default 0);
   * 2: in an E2E vault of scheme 'master-password', the value is a client's ciphertext (migration 0023). */
  e2e?: number;
  /** E2E only: the plaintext format of the messages (a Passbolt resource type slug); null: JSON of the fields (migration 0021). */
  value_format?: string | null;
}

export interface SecretValueTable {
  secret_id: string;
  field: string;
  value_enc: string;
}

export interface SecretVersionTable {
  secret_id: string;
  version: number;
  action: string;
  changed_by: string | null;
  changed_at: number;
  changed_fields: string;
  snapshot: string;
  values_enc: string | null;
}

export interface SecretTagTable {
  secret_id: string;
  tag: string;
}

export interface IdempotencyKeyTable {
  actor_id: string;
  key: string;
  request_hash: string;
  response: string;
  created_at: number;
}

export interface AttachmentTable {
  id: string;
  secret_id: string;
  name: string;
  content_type: string;
  size: number;
  created_by: string | null;
  created_at: number;
}

/** An attachment removed from its secret, kept for restoring an older version (migration 0007). */
export interface RemovedAttachmentTable extends AttachmentTable {
  removed_by: string | null;
  removed_at: number;
}

/** Chunks of a removed attachment, as they were (same binding). */
export interface RemovedAttachmentChunkTable {
  attachment_id: string;
  idx: number;
  data_enc: string;
}

export interface AttachmentChunkTable {
  attachment_id: string;
  idx: number;
  data_enc: string;
}

export type MetadataType = 'string' | 'number' | 'boolean' | 'date' | 'user';

export interface MetadataTable {
  node_id: string;
  section: string;
  name: string;
  type: MetadataType;
  value: string;
  updated_by: string | null;
  updated_at: number;
}

export interface DB
  extends CommentTables,
    NumberingTables,
    PersonalTables,
    RotationTables,
    E2eTables,
    AuditTables,
    WorkflowTables,
    KeySignInTables,
    JobQueueWebhookTables {
  seal_config: SealConfigTable;
  keyring_terms: KeyringTermTable;
  keyring_state: KeyringStateTable;
  system_keys: SystemKeyTable;
  users: UserTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  sessions: SessionTable;
  refresh_tokens: RefreshTokenTable;
  api_keys: ApiKeyTable;
  recovery_codes: RecoveryCodeTable;
  login_failures: LoginFailureTable;
  jobs: JobTable;
  vaults: VaultTable;
  folders: FolderTable;
  tree_paths: TreePathTable;
  grants: GrantTable;
  templates: TemplateTable;
  secrets: SecretTable;
  secret_values: SecretValueTable;
  secret_versions: SecretVersionTable;
  secret_tags: SecretTagTable;
  idempotency_keys: IdempotencyKeyTable;
  attachments: AttachmentTable;
  attachment_chunks: AttachmentChunkTable;
  attachments_removed: RemovedAttachmentTable;
  attachment_removed_chunks: RemovedAttachmentChunkTable;
  metadata: MetadataTable;
}
