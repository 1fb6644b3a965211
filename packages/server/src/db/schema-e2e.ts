// Row types of the tables of migration 0018 (end-to-end encrypted vaults, ADR 0022), apart from
// schema.ts to keep that file from growing further.

/** A user's registered OpenPGP public key (one per user). */
export interface UserOpenpgpKeyTable {
  user_id: string;
  armored_key: string;
  /** 40 lower-case hex digits (v4 fingerprint). */
  fingerprint: string;
  /** The last 16 hex digits of the fingerprint. */
  key_id: string;
  /** openpgp.js algorithm name of the primary key, e.g. `eddsaLegacy`, `rsaEncryptSign`. */
  algorithm: string;
  bits: number;
  key_created: number;
  expires: number | null;
  created_at: number;
  updated_at: number;
}

/** One armored OpenPGP message of an E2E secret for one reader. */
export interface SecretMessageTable {
  id: string;
  secret_id: string;
  user_id: string;
  message: string;
  /** The fingerprint of the reader's key the message was checked against when written. */
  key_fingerprint: string;
  written_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface E2eTables {
  user_openpgp_keys: UserOpenpgpKeyTable;
  secret_messages: SecretMessageTable;
}
