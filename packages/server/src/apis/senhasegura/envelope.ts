// senhasegura's answer envelope, on every answer (errors included), and the one table of Coffer
// errors -> senhasegura status, numbered code and message.
import type { ErrorCode } from '@coffer/contracts/errors';
import type { AppError } from '../../lib/app-error.ts';

export interface Envelope {
  code: number;
  response: {
    status: number;
    message: string;
    mensagem: string;
    error: boolean;
    erro: boolean;
    error_code: number;
    cod_erro: number;
    detail: string;
    changed?: 'true' | 'false';
  };
  exception?: { code: number; message: string; detail: string | null };
  [key: string]: unknown;
}

/** A success answer: `status` in the body equals the HTTP status. */
export function ok(status: number, message: string, extra: Record<string, unknown> = {}): Envelope {
  return {
    code: status,
    response: { status, message, mensagem: message, error: false, erro: false, error_code: 0, cod_erro: 0, detail: '' },
    ...extra,
  };
}

/** An error answer: `message` carries the numbered code first ("1007: Credential not found"). */
export function failure(status: number, code: number, message: string, detail = ''): Envelope {
  const text = `${code}: ${message}`;
  return {
    code: status,
    response: { status, message: text, mensagem: text, error: true, erro: true, error_code: 1, cod_erro: 1, detail },
    exception: { code, message: text, detail: detail || null },
  };
}

/** What kind of object the route is about: a missing one is a 400 with its numbered code. */
export type Subject = 'credential' | 'key' | 'device' | 'info' | 'other';

const notFound: Record<Subject, [number, string]> = {
  credential: [1007, 'Credential not found'],
  key: [1015, 'SSH key not found'],
  device: [1011, 'Device not found'],
  info: [1023, 'Information not found'],
  other: [1000, 'Not found'],
};

/** On protected information routes senhasegura numbers 1023 (not found), 1024 (inactive) and 1026
 * (content missing): Coffer's own meanings of these numbers move there to 1033-1035. */
const INFO_MOVED: Partial<Record<ErrorCode, number>> = {
  conflict: 1033,
  precondition_failed: 1033,
  'request.rate_limited': 1034,
  'auth.rate_limited': 1034,
  'request.unsupported_media_type': 1035,
};

/**
 * Coffer error -> [HTTP status, senhasegura code, message]. senhasegura answers a missing or
 * hidden object with 400 and its numbered code (never 404); the codes 1001-1003 and 1020-1029
 * are Coffer's own (senhasegura documents no number for them).
 */
export function errorAnswer(err: AppError, subject: Subject): { status: number; body: Envelope } {
  const m = (status: number, code: number, message: string) => ({ status, body: failure(status, code, message) });
  const byCode: Partial<Record<ErrorCode, () => { status: number; body: Envelope }>> = {
    'auth.required': () => m(401, 1001, 'Unauthorized: send Authorization: Bearer <access_token>'),
    'auth.invalid_token': () => m(401, 1002, 'Unauthorized: the access token is invalid or has expired'),
    'auth.invalid_credentials': () => m(401, 1002, 'Unauthorized: invalid client credentials'),
    'auth.password_change_required': () => m(403, 1003, 'The API user must change its password first'),
    forbidden: () => m(403, 1020, err.message),
    'secret.approval_required': () => m(403, 1021, err.message),
    'secret.checked_out': () => m(409, 1022, err.message),
    conflict: () => m(409, 1023, err.message),
    precondition_failed: () => m(409, 1023, err.message),
    'request.rate_limited': () => m(429, 1024, 'Too many requests'),
    'auth.rate_limited': () => m(429, 1024, 'Too many requests'),
    'request.body_too_large': () => m(413, 1025, 'The request body is too large'),
    'request.unsupported_media_type': () => m(415, 1026, 'Send a form (application/x-www-form-urlencoded) or a JSON body'),
    'request.invalid_json': () => m(400, 1027, 'The body is neither valid JSON nor a form'),
    'validation.failed': () => m(400, 1028, validationText(err)),
    'request.credentials_in_query': () => m(400, 1029, err.message),
    'sys.sealed': () => m(503, 1030, 'Coffer is sealed'),
    'sys.not_initialized': () => m(503, 1030, 'Coffer is not initialised'),
    'audit.unavailable': () => m(503, 1031, 'The audit trail could not be written; nothing was done'),
    'auth.busy': () => m(503, 1032, 'Busy; retry'),
  };
  const reason = err.reason;
  if (subject === 'info') {
    if (reason === 'content_missing') return m(400, 1026, 'The information content was not informed');
    if (reason === 'already_inactive') return m(400, 1024, 'Inactive information');
    const moved = INFO_MOVED[err.code];
    const f = byCode[err.code];
    if (moved && f) {
      const { status, body } = f();
      return m(status, moved, body.response.message.replace(/^\d+: /, ''));
    }
  }
  if (reason === 'not_ssh_key') return m(400, 1016, 'The item is not a ssh key');
  if (reason === 'not_in_custody') return m(400, 1018, 'The credential is not in the user custody');
  if (reason === 'hostname_missing') return m(400, 1004, "The device's hostname was not informed");
  if (reason === 'ip_missing') return m(400, 1005, "The device's IP was not informed");
  if (reason === 'username_missing') return m(400, 1006, "The credential's username was not informed");
  if (reason === 'already_inactive')
    return m(400, subject === 'device' ? 1011 : 1007, subject === 'device' ? 'Device not found' : 'Credential not found');
  if (err.code === 'not_found') {
    if (reason === 'route') return m(404, 1000, 'No such endpoint');
    const [code, message] = notFound[subject];
    return m(400, code, message);
  }
  const f = byCode[err.code];
  if (f) return f();
  const status = err.code === 'integrity.failed' || err.code === 'internal' ? 500 : 400;
  return status === 500 ? m(500, 500, 'Unexpected error') : m(400, 1028, err.message);
}

function validationText(err: AppError): string {
  const d = err.details?.[0];
  return d ? `${err.message} (${d.path}: ${d.message})` : err.message;
}
