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
  auth_method: 'password' | 'password+totp' | 'apikey-exchange';
  api_key_id: string | null;
  source_ip: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
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

export interface AuditLogTable {
  seq: number;
  id: string;
  time: number;
  actor_id: string | null;
  actor_name: string | null;
  actor_kind: string;
  auth_method: string | null;
  source_ip: string | null;
  request_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  outcome: 'success' | 'denied' | 'failure' | 'error';
  reason: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  time: number;
  signature: string;
  key_id: string;
}

export interface JobTable {
  name: string;
  status: 'pending' | 'running' | 'done';
  state: string;
  lease_owner: string | null;
  lease_until: number | null;
  updated_at: number;
}

export interface DB {
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
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  jobs: JobTable;
}
