// Passbolt's answer envelope: `{header, body}` on every answer, `header.status` "success" on a 2xx
// and "error" otherwise (clients test that field, whatever the HTTP status). API format v2 answers
// objects as they are; v1 (asked with `api-version=v1`) wraps each object by its model name
// (`{"Resource": {...}}`). The one table Coffer error -> HTTP status and Passbolt message lives here.
import { createHash, randomUUID } from 'node:crypto';
import type { ErrorCode } from '@coffer/contracts/errors';
import type { FastifyRequest } from 'fastify';
import { errorStatus } from '../../http/errors.ts';
import type { AppError } from '../../lib/app-error.ts';

export interface Header {
  id: string;
  status: 'success' | 'error';
  servertime: number;
  action: string;
  message: string;
  url: string;
  code: number;
}

export interface Envelope<T> {
  header: Header;
  body: T;
}

export const OK_MESSAGE = 'The operation was successful.';

/** `v1` only when the client asks for it; v2 otherwise (what current Passbolt servers answer). */
export function apiVersion(req: FastifyRequest): 'v1' | 'v2' {
  const q = req.query as Record<string, unknown> | undefined;
  const v = q?.['api-version'];
  return v === 'v1' ? 'v1' : 'v2';
}

/** A stable UUID per route (Passbolt's `action` names the controller action, never changes). */
function actionId(req: FastifyRequest): string {
  const route = `${req.method} ${req.routeOptions?.url ?? 'unmatched'}`;
  const h = createHash('sha256').update(route).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function header(req: FastifyRequest, status: 'success' | 'error', code: number, message: string): Header {
  return {
    id: randomUUID(),
    status,
    servertime: Math.floor(Date.now() / 1000),
    action: actionId(req),
    message,
    url: req.url,
    code,
  };
}

/** A success answer (HTTP 200 unless the route sets another 2xx code). */
export function ok<T>(req: FastifyRequest, body: T, message = OK_MESSAGE, code = 200): Envelope<T> {
  return { header: header(req, 'success', code, message), body };
}

/** v1 wraps an object by its model name; v2 answers it as it is. */
export function model<T extends object>(req: FastifyRequest, name: string, obj: T): T | Record<string, T> {
  return apiVersion(req) === 'v1' ? { [name]: obj } : obj;
}

/** Passbolt's validation body: `{field: {rule: message}}` from Coffer's `details[{path, message}]`. */
export function validationBody(err: AppError): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const d of err.details ?? []) {
    const detail = d as { path?: unknown; message?: unknown; rule?: unknown };
    const field =
      String(detail.path ?? '')
        .replace(/^\//, '')
        .split('/')[0] || '_global';
    const rule = typeof detail.rule === 'string' ? detail.rule : '_invalid';
    out[field] = { ...out[field], [rule]: String(detail.message ?? 'The value is invalid.') };
  }
  return out;
}

/** Passbolt's message for the errors its clients meet; others keep Coffer's (never holds a secret). */
const messages: Partial<Record<ErrorCode, string>> = {
  'auth.required': 'You need to login to access this location.',
  'auth.invalid_token': 'You need to login to access this location.',
  'auth.invalid_credentials': 'The authentication failed.',
  'auth.mfa_required': 'MFA authentication is required.',
  forbidden: 'You are not authorized to access that location.',
  not_found: 'The resource does not exist.',
  'validation.failed': 'Could not validate the data.',
};

/** Passbolt answers a missing or bad session with 403 (its clients re-login on it), not 401. */
const statusOverride: Partial<Record<ErrorCode, number>> = {
  'auth.required': 403,
  'auth.invalid_token': 403,
  'auth.invalid_credentials': 403,
  'auth.mfa_required': 403,
};

/** Coffer error -> HTTP status, header message and body (validation rules, else null). */
export function errorAnswer(err: AppError): { status: number; message: string; body: unknown } {
  const code = err.code as ErrorCode;
  const status = statusOverride[code] ?? errorStatus[code] ?? 400;
  // a validation summary of Passbolt's own words ("Could not validate resource data.") stays, and
  // so does the reveal gate's (a reason the policy requires: Coffer's message says what to do)
  const own =
    code === 'validation.failed' &&
    (err.message.startsWith('Could not validate') || (err.details ?? []).some((d) => (d as { path?: unknown }).path === '/reason'));
  const message =
    status >= 500 && code !== 'sys.sealed' ? 'The operation failed; try again later.' : own ? err.message : (messages[code] ?? err.message);
  return { status, message, body: code === 'validation.failed' ? validationBody(err) : null };
}
