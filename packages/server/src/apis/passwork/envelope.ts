// Passwork's answer envelope: `{status: "success", data}` (some writes add a `code` such as
// "vaultCreated"), and `{status: "error", code, data: {errorMessage}}` for failures. The one table
// Coffer error -> HTTP status and Passwork code lives here.
import type { ErrorCode } from '@coffer/contracts/errors';
import { errorStatus } from '../../http/errors.ts';
import type { AppError } from '../../lib/app-error.ts';

export interface Success<T> {
  status: 'success';
  code?: string;
  data: T;
}

export interface Failure {
  status: 'error';
  code: string;
  data: { errorMessage: string };
}

export function ok<T>(data: T, code?: string): Success<T> {
  return code ? { status: 'success', code, data } : { status: 'success', data };
}

export function failure(code: string, errorMessage: string): Failure {
  return { status: 'error', code, data: { errorMessage } };
}

/** What a route is about: a missing or hidden one answers with its own code (never telling which). */
export type Subject = 'password' | 'vault' | 'folder' | 'attachment' | 'inbox' | 'login' | 'refresh' | 'other';

const missing: Record<Subject, [string, string]> = {
  password: ['passwordNull', 'Password not found'],
  vault: ['vaultNull', 'Vault not found'],
  folder: ['folderNull', 'Folder not found'],
  attachment: ['attachmentNull', 'Attachment not found'],
  inbox: ['inboxPasswordNull', 'Inbox password not found'],
  login: ['invalidApiKey', 'The API key is invalid, expired or not allowed from this address'],
  refresh: ['invalidRefreshToken', 'The refresh token is invalid or expired'],
  other: ['notFound', 'Not found'],
};

/** Coffer error -> [HTTP status, Passwork code, message]. Messages of Coffer never hold a secret. */
export function errorAnswer(err: AppError, subject: Subject): { status: number; body: Failure } {
  const m = (status: number, code: string, message: string) => ({ status, body: failure(code, message) });
  const byCode: Partial<Record<ErrorCode, () => { status: number; body: Failure }>> = {
    'auth.required': () =>
      m(401, 'apiSessionExpired', 'Authentication is required: send the Passwork-Auth header with a token from /auth/login'),
    'auth.invalid_token': () => m(401, 'apiSessionExpired', 'The API token is invalid or has expired; log in again or refresh it'),
    'auth.invalid_credentials': () => m(401, 'invalidApiKey', 'The API key is invalid'),
    'auth.password_change_required': () => m(403, 'passwordChangeRequired', 'The user must change their password first'),
    'auth.mfa_required': () => m(401, 'invalidApiKey', 'Use an API key'),
    forbidden: () => m(403, 'accessDenied', err.message),
    'secret.approval_required': () => m(403, 'approvalRequired', err.message),
    'secret.checked_out': () => m(409, 'passwordCheckedOut', err.message),
    conflict: () => m(409, 'conflict', err.message),
    precondition_failed: () => m(409, 'conflict', err.message),
    'request.rate_limited': () => m(429, 'tooManyRequests', 'Too many requests'),
    'auth.rate_limited': () => m(429, 'tooManyRequests', 'Too many requests'),
    'request.body_too_large': () => m(413, 'requestTooLarge', 'The request body is too large'),
    'request.unsupported_media_type': () => m(415, 'unsupportedMediaType', 'Send a JSON body'),
    'request.invalid_json': () => m(400, 'invalidJson', 'The body is not valid JSON'),
    'validation.failed': () => m(400, 'validationError', validationText(err)),
    'request.credentials_in_query': () => m(400, 'credentialsInQuery', err.message),
    'sys.sealed': () => m(503, 'serviceUnavailable', 'Coffer is sealed'),
    'sys.not_initialized': () => m(503, 'serviceUnavailable', 'Coffer is not initialised'),
    'audit.unavailable': () => m(503, 'serviceUnavailable', 'The audit trail could not be written; nothing was done'),
    'auth.busy': () => m(503, 'serviceUnavailable', 'Busy; retry'),
    // a value in clear for an end-to-end encrypted vault, or the other way round (ADR 0026)
    'secret.e2e_unsupported': () => m(400, 'vaultEncryptionMismatch', validationText(err)),
  };
  // the product's own codes for the cases it names (set as reasons by this adapter)
  switch (err.reason) {
    case 'client_encryption_disabled':
      return m(400, 'clientSideEncryptionDisabled', err.message);
    case 'client_encryption_enabled':
      return m(400, 'clientSideEncryptionEnabled', err.message);
    case 'master_hash':
      return m(400, 'invalidMasterHash', err.message);
    case 'attachment_hash':
      return m(400, 'attachmentHashMismatch', err.message);
    case 'encrypted_vault':
      return m(400, 'vaultEncryptionMismatch', err.message);
  }
  if (subject === 'login' && (err.code === 'auth.invalid_token' || err.code === 'auth.required' || err.code === 'forbidden')) {
    const [code, message] = missing.login;
    return m(401, code, message);
  }
  if (subject === 'refresh' && (err.code === 'auth.invalid_token' || err.code === 'auth.required')) {
    const [code, message] = missing.refresh;
    return m(401, code, message);
  }
  if (err.code === 'not_found') {
    if (err.reason === 'route') return m(404, 'notFound', 'No such API method');
    const [code, message] = missing[subject];
    return m(404, code, message);
  }
  const f = byCode[err.code];
  if (f) return f();
  // a refusal this table does not name keeps its status (never a 5xx for a client's mistake)
  const status = errorStatus[err.code];
  if (status !== undefined && status < 500) return m(status, status === 409 ? 'conflict' : 'badRequest', validationText(err));
  return m(500, 'serverError', 'Unexpected error; see the server log with the request id');
}

function validationText(err: AppError): string {
  const d = err.details?.[0];
  return d ? `${err.message} (${d.path}: ${d.message})` : err.message;
}
