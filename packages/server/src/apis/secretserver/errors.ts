// Secret Server's error answers, in one place: `{errorCode, message}` (clients read `message`,
// else `error`; a body with neither crashes them), 400 for what the product answers 400 to —
// an unknown id and a forbidden one alike —, RFC 6749's `{error}` on the token endpoint.
import type { ErrorCode } from '@coffer/contracts/errors';
import type { FastifyRequest } from 'fastify';
import type { AppError } from '../../lib/app-error.ts';

export interface SsError {
  errorCode: string;
  message: string;
  messageDetail?: string;
}

const byCode: Record<ErrorCode, [number, string, string | null]> = {
  'validation.failed': [400, 'API_InvalidRequest', null],
  'request.invalid_json': [400, 'API_InvalidRequest', 'The request body is not valid JSON.'],
  'request.body_too_large': [413, 'API_RequestTooLarge', 'The request body is too large.'],
  'request.unsupported_media_type': [415, 'API_UnsupportedMediaType', 'Send JSON (application/json), a form or multipart/form-data.'],
  'request.credentials_in_query': [400, 'API_CredentialsInQuery', null],
  'auth.required': [401, 'API_AuthenticationFailed', 'Authentication failed: send Authorization: Bearer <access_token>.'],
  'auth.invalid_token': [401, 'API_AuthenticationFailed', 'Authentication failed or the access token has expired.'],
  'auth.invalid_credentials': [400, 'API_AuthenticationFailed', 'Invalid username or password.'],
  'auth.mfa_required': [400, 'API_TwoFactorRequired', null],
  'auth.rate_limited': [429, 'API_TooManyRequests', 'Too many failed logins; try again later.'],
  'auth.busy': [503, 'API_Busy', 'The server is busy; retry.'],
  'auth.password_change_required': [
    403,
    'API_PasswordChangeRequired',
    'The password was set by an administrator: change it first (Coffer: POST /api/v1/me/password).',
  ],
  'auth.reauth_failed': [400, 'API_AuthenticationFailed', 'Invalid credentials.'],
  'auth.csrf_failed': [403, 'API_AccessDenied', 'Access Denied'],
  forbidden: [400, 'API_AccessDenied', 'Access Denied'],
  not_found: [400, 'API_AccessDenied', 'Access Denied'],
  conflict: [400, 'API_Conflict', null],
  precondition_failed: [400, 'API_Conflict', null],
  'secret.checked_out': [400, 'API_CheckedOutByAnotherUser', null],
  'secret.approval_required': [400, 'API_ApprovalRequired', null],
  'secret.e2e_unsupported': [400, 'API_InvalidRequest', null],
  'secret.e2e_readers_mismatch': [400, 'API_InvalidRequest', null],
  'secret.e2e_message_invalid': [400, 'API_InvalidRequest', null],
  'secret.e2e_no_message': [400, 'API_InvalidRequest', null],
  'user.openpgp_key_invalid': [400, 'API_InvalidRequest', null],
  'sys.sealed': [503, 'API_Sealed', 'Coffer is sealed.'],
  'sys.not_initialized': [503, 'API_Sealed', 'Coffer is not initialised.'],
  'sys.already_initialized': [400, 'API_InvalidRequest', null],
  'sys.unseal_failed': [400, 'API_InvalidRequest', null],
  'sys.unseal_nonce_invalid': [400, 'API_InvalidRequest', null],
  'audit.unavailable': [503, 'API_AuditUnavailable', 'The audit trail could not be written; nothing was done.'],
  'webhook.target_refused': [400, 'API_InvalidRequest', null],
  // remote rotation (modules/rotation): Secret Server answers 400 to a refused change as well
  'rotation.target_refused': [400, 'API_InvalidRequest', null],
  'rotation.in_progress': [400, 'API_Conflict', null],
  'rotation.failed': [400, 'API_PasswordChangeFailed', null],
  'integrity.failed': [500, 'API_InternalError', 'An error has occurred.'],
  'request.rate_limited': [429, 'API_TooManyRequests', 'Too many requests; slow down.'],
  internal: [500, 'API_InternalError', 'An error has occurred.'],
};

/** Does the error say that the policy wants a reason (Secret Server: a comment)? */
export function isReasonRequired(err: AppError): boolean {
  return err.code === 'validation.failed' && (err.details ?? []).some((d) => d.path === '/reason' && /required/.test(d.message));
}

/** Coffer error -> Secret Server's status and body. */
export function ssError(err: AppError): { status: number; body: SsError } {
  if (err.code === 'not_found' && err.reason === 'route') {
    return { status: 404, body: { errorCode: 'API_NotFound', message: 'No HTTP resource was found that matches the request URI.' } };
  }
  if (isReasonRequired(err)) {
    return {
      status: 400,
      body: {
        errorCode: 'API_CommentRequired',
        message: 'A comment is required to view this secret: send it as `autoComment` (query) or `comment` (body of the restricted calls).',
      },
    };
  }
  const [status, errorCode, fixed] = byCode[err.code] ?? [500, 'API_InternalError', 'An error has occurred.'];
  const detail = err.details?.[0];
  const message =
    fixed ?? (detail && !err.message.includes(detail.path) ? `${err.message} (${detail.path}: ${detail.message})` : err.message);
  return { status, body: { errorCode, message } };
}

/** The OAuth2 token endpoint answers RFC 6749's shape (`error`), with `message` beside it. */
export function tokenError(err: AppError): { status: number; body: Record<string, string> } {
  if (err.reason === 'unsupported_grant_type') {
    return { status: 400, body: { error: 'unsupported_grant_type', error_description: err.message, message: err.message } };
  }
  const grant: ErrorCode[] = [
    'auth.invalid_credentials',
    'auth.invalid_token',
    'auth.mfa_required',
    'validation.failed',
    'request.invalid_json',
  ];
  if (grant.includes(err.code)) {
    const description =
      err.code === 'auth.mfa_required'
        ? 'A two-factor code is required: send the current TOTP code in the OTP header (or a recovery code as otp).'
        : err.code === 'auth.invalid_token'
          ? 'The refresh token is invalid or has expired.'
          : err.code === 'auth.invalid_credentials'
            ? 'Invalid username or password.'
            : err.message;
    return { status: 400, body: { error: 'invalid_grant', error_description: description, message: description } };
  }
  const { status, body } = ssError(err);
  return { status, body: { error: body.errorCode, error_description: body.message, message: body.message } };
}

export function isTokenRoute(req: FastifyRequest): boolean {
  return /\/oauth2\/token\/?$/i.test(req.url.split('?')[0] ?? '');
}
