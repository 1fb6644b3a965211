// Row type of the table of migration 0022 (modules/comments owns it).

/** A comment on a secret (Passbolt's comments on resources); a reply names its parent (same secret). */
export interface SecretCommentTable {
  id: string;
  secret_id: string;
  parent_id: string | null;
  /** Display text, 1..255 characters (contracts/text.ts rules); not secret. */
  content: string;
  created_by: string | null;
  updated_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface CommentTables {
  secret_comments: SecretCommentTable;
}
