// Row types of the tables of migration 0016 (favourites, seen shares, client-side encryption
// profiles), apart from schema.ts to keep that file from growing further.

/** A secret a user marked as favourite. */
export interface SecretFavoriteTable {
  user_id: string;
  secret_id: string;
  created_at: number;
}

/** A share (grant with is_share = 1) its recipient has opened or marked seen. */
export interface ShareViewTable {
  grant_id: string;
  viewed_at: number;
}

/** A user's client-side encryption profile (Passwork's master key options). */
export interface ClientKeyProfileTable {
  user_id: string;
  /** The PBKDF2 salt of the user's master key (not secret). */
  mk_salt: string;
  /** SHA-256 (hex) of the master key first presented; null until then. */
  master_hash: string | null;
  created_at: number;
  updated_at: number;
}

/** A session family that logged in with a master password. */
export interface ClientKeySessionTable {
  family_id: string;
  user_id: string;
  created_at: number;
}

export interface PersonalTables {
  secret_favorites: SecretFavoriteTable;
  share_views: ShareViewTable;
  client_key_profiles: ClientKeyProfileTable;
  client_key_sessions: ClientKeySessionTable;
}
