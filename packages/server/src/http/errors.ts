import type { ErrorCode } from '@coffer/contracts/errors';

/** Every code has a status: adding a code without one fails to compile. */
export const errorStatus: Record<ErrorCode, number> = {
  'validation.failed': 400,
  'request.invalid_json': 400,
  'request.body_too_large': 413,
  'request.unsupported_media_type': 415,
  'request.credentials_in_query': 400,
  'auth.required': 401,
  'auth.invalid_credentials': 401,
  'auth.invalid_token': 401,
  'auth.mfa_required': 401,
  'auth.rate_limited': 429,
  'auth.busy': 503,
  'auth.password_change_required': 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  'secret.checked_out': 409,
  'secret.approval_required': 403,
  // end-to-end encrypted vaults (ADR 0022)
  'secret.e2e_unsupported': 409,
  'secret.e2e_readers_mismatch': 409,
  'secret.e2e_message_invalid': 400,
  'secret.e2e_no_message': 409,
  'user.openpgp_key_invalid': 400,
  'sys.sealed': 503,
  'sys.not_initialized': 503,
  'sys.already_initialized': 409,
  'sys.unseal_failed': 400,
  'audit.unavailable': 503,
  'webhook.target_refused': 400,
  'rotation.target_refused': 400,
  'rotation.in_progress': 409,
  // the target refused or failed the change; the vault still holds a password that logs in
  'rotation.failed': 502,
  'integrity.failed': 500,
  // 403, not 401: the session is fine, the proof was not (clients must not drop the session)
  'auth.reauth_failed': 403,
  'request.rate_limited': 429,
  'sys.unseal_nonce_invalid': 403,
  // the web UI's request did not prove it came from the UI's own script (ADR 0017)
  'auth.csrf_failed': 403,
  internal: 500,
};
