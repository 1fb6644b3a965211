// Row types of the tables of migration 0020 (sign-in by OpenPGP key: the Passbolt API's GPGAuth and
// JWT logins), apart from schema.ts to keep that file from growing further.

/** A one-time token of a key sign-in, by keyed hash. */
export interface KeySignInTokenTable {
  token_hash: string;
  user_id: string;
  /** 'gpgauth': a GPGAuth stage-1 nonce; 'jwt_verify': a JWT login's verify_token already used. */
  kind: 'gpgauth' | 'jwt_verify';
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** A session family still owing its second factor (TOTP) after a sign-in by key. */
export interface SessionSecondFactorTable {
  family_id: string;
  user_id: string;
  created_at: number;
}

export interface KeySignInTables {
  key_sign_in_tokens: KeySignInTokenTable;
  session_second_factor: SessionSecondFactorTable;
}
