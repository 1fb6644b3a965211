import { type Static, Type } from 'typebox';

/**
 * Every error code the native API can return. Stable: clients may switch on them.
 * Each one is documented in docs/errors.md (a test keeps the two in step).
 */
export const errorCodes = [
  'validation.failed',
  'request.invalid_json',
  'request.body_too_large',
  'request.unsupported_media_type',
  'request.credentials_in_query',
  'auth.required',
  'auth.invalid_credentials',
  'auth.invalid_token',
  'auth.mfa_required',
  'auth.rate_limited',
  'auth.busy',
  'auth.password_change_required',
  'forbidden',
  'not_found',
  'conflict',
  'precondition_failed',
  'secret.checked_out',
  'secret.approval_required',
  'secret.e2e_unsupported',
  'secret.e2e_readers_mismatch',
  'secret.e2e_message_invalid',
  'secret.e2e_no_message',
  'user.openpgp_key_invalid',
  'sys.sealed',
  'sys.not_initialized',
  'sys.already_initialized',
  'sys.unseal_failed',
  'audit.unavailable',
  'webhook.target_refused',
  'rotation.target_refused',
  'rotation.in_progress',
  'rotation.failed',
  'integrity.failed',
  'auth.reauth_failed',
  'request.rate_limited',
  'sys.unseal_nonce_invalid',
  'auth.csrf_failed',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable code, see docs/errors.md' }),
        message: Type.String(),
        requestId: Type.String(),
        details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'ErrorEnvelope', description: 'The one error body of the native API' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;
