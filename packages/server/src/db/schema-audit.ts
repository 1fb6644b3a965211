// Row types of the audit trail's tables (modules/audit; migrations 0001, 0008), apart from schema.ts
// to keep that file readable. Times are milliseconds since the epoch.

/** What a record says: the same in the chain (audit_log) and while it waits sealed (audit_sealed). */
export interface AuditRecordColumns {
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
}

export interface AuditLogTable extends AuditRecordColumns {
  seq: number;
  prev_hash: string;
  hash: string;
  /** HMAC under the audit MAC key of `mac_term` (null: a legacy record, before the MAC start). */
  mac: string | null;
  mac_term: number | null;
  /** 1: written while sealed, kept in audit_sealed until an unsealed node put it in the chain. */
  sealed: number;
  /** The API surface (native, pmp, senhasegura, ...); null on records from before migration 0013. */
  via: string | null;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  mac: string | null;
  mac_term: number | null;
  /** The first seq that must carry a MAC (1 unless the store had records before migration 0008). */
  mac_from: number;
  /** Records waiting in audit_sealed (a hint, so appends need no extra query). */
  sealed_pending: number;
}

export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  time: number;
  signature: string;
  key_id: string;
  /** v2 checkpoints (mac_from set) also sign the record's MAC and the MAC start. */
  mac: string | null;
  mac_from: number | null;
}

/** Records written while sealed (no key to MAC them), in arrival order; see modules/audit. */
export interface AuditSealedTable extends AuditRecordColumns {
  pos: number;
}

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  audit_sealed: AuditSealedTable;
}
