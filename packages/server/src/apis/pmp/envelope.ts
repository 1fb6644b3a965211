// PMP's answer: {"operation":{"name","result":{"status","message"},"totalRows"?,"Details"?}},
// HTTP 200 for operation failures too. Errors of the services become "Failed" with a message
// chosen here, in one place, from the error's code and typed reason.
import type { AppError } from '../../lib/app-error.ts';

export interface PmpEnvelope {
  operation: {
    name: string;
    result: { status: 'Success' | 'Failed'; message: string };
    totalRows?: number;
    Details?: unknown;
  };
}

export function success(name: string, message: string, extra: { details?: unknown; totalRows?: number } = {}): PmpEnvelope {
  const operation: PmpEnvelope['operation'] = { name, result: { status: 'Success', message } };
  if (extra.totalRows !== undefined) operation.totalRows = extra.totalRows;
  if (extra.details !== undefined) operation.Details = extra.details;
  return { operation };
}

/** A list: `totalRows` always (a number); `Details` only when the list is not empty. */
export function list(name: string, message: string, rows: unknown[], total = rows.length): PmpEnvelope {
  return success(name, message, rows.length > 0 ? { totalRows: total, details: rows } : { totalRows: total });
}

export function failure(name: string, message: string): PmpEnvelope {
  return { operation: { name, result: { status: 'Failed', message } } };
}

/** The message of a failed operation: Coffer's messages never hold a secret, so most pass as they are. */
export function messageOf(err: AppError): string {
  switch (err.code) {
    case 'auth.required':
    case 'auth.invalid_token':
      return 'User validation failed: the AUTHTOKEN is missing, invalid, expired or not allowed from this host.';
    case 'not_found':
      // one message whatever is missing or hidden (a resource, an account, a request), so an
      // answer never tells a hidden object from a missing one
      if (err.reason === 'route') return 'Invalid API request: no such operation.';
      if (err.reason === 'user') return 'User does not exist.';
      return 'The resource or account does not exist, or you are not allowed to access it.';
    case 'request.body_too_large':
      return 'Invalid input: the request is too large.';
    case 'internal':
    case 'audit.unavailable':
    case 'integrity.failed':
      return 'Internal error; see the server log with the request id.';
    default:
      return err.message;
  }
}

/** HTTP status of a failed PMP operation: 200 like PMP, but server faults and a sealed vault stay visible. */
export function statusOf(err: AppError): number {
  if (err.code === 'internal' || err.code === 'audit.unavailable' || err.code === 'integrity.failed') return 500;
  if (err.code === 'sys.sealed' || err.code === 'sys.not_initialized') return 503;
  if (err.code === 'auth.rate_limited' || err.code === 'request.rate_limited') return 429;
  return 200;
}
