// Row types of the tables of modules/rotation (migration 0017), apart from schema.ts to keep that
// file from growing further.

export type RotationKind = 'postgres' | 'mysql' | 'ssh' | 'ssh-key';
export type HeartbeatStatus = 'unknown' | 'ok' | 'failed' | 'unreachable';

/** Where a secret's password (or SSH key) is used. */
export interface RotationTargetTable {
  secret_id: string;
  kind: RotationKind;
  host: string;
  port: number;
  /** JSON object of non-secret connector options (database name, account host, ...). */
  options: string;
  /** Another secret whose account may change this one's password. */
  privileged_secret_id: string | null;
  /** The SSH host key pinned on first use (`SHA256:` fingerprint). */
  host_key: string | null;
  heartbeat_minutes: number | null;
  rotate_days: number | null;
  next_heartbeat_at: number | null;
  next_rotation_at: number | null;
  last_heartbeat_at: number | null;
  last_heartbeat_status: HeartbeatStatus;
  out_of_sync: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  /** JSON array of `{name, kind, host, note}`: what uses the password (migration 0019). */
  dependencies: string;
  /** 0: the list is known to be incomplete or out of date. */
  dependencies_reviewed: number;
  /** 1: a scheduled rotation waits (held, `held_at`) while the dependencies are not reviewed. */
  hold_unreviewed: number;
  held_at: number | null;
}

/** open: pending, changed, verified; settled: done, rolled_back. */
export type JournalState = 'pending' | 'changed' | 'verified' | 'done' | 'rolled_back';

/** One remote rotation, step by step. */
export interface RotationJournalTable {
  id: string;
  secret_id: string;
  kind: RotationKind;
  field: string;
  state: JournalState;
  /** 1 while open, NULL once settled: at most one open entry per secret (unique partial index). */
  active: number | null;
  /** The new value, AES-GCM bound to ("rotation", id, "pending"); NULL once settled. */
  pending_enc: string | null;
  /** The secret's version when the rotation began (its value was current then). */
  base_version: number;
  new_version: number | null;
  trigger: string;
  actor_id: string | null;
  reason: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  /** A code, never a message from the target (it could echo a value). */
  last_error: string | null;
  /** JSON the connector needs after promotion (an old public key to remove); never a secret. */
  cleanup: string | null;
  created_at: number;
  updated_at: number;
  settled_at: number | null;
}

export interface RotationTables {
  rotation_targets: RotationTargetTable;
  rotation_journal: RotationJournalTable;
}
