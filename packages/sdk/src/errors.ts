import type { ErrorCode } from '@coffer/contracts/errors';

export type { ErrorCode } from '@coffer/contracts/errors';

/** One entry of a validation error: where in the request, and what is wrong there. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * The server answered with its error envelope (`{"error": {code, message, requestId}}`).
 *
 * Switch on `code` (stable, listed in docs/errors.md), not on `message` (meant for people).
 * The message is the server's own and never carries tokens or secret values; the SDK adds only
 * the code and status. Quote `requestId` when asking an operator to find the request in the logs.
 */
export class CofferError extends Error {
  override readonly name = 'CofferError';
  /** Stable machine-readable code, e.g. `precondition_failed`. */
  readonly code: ErrorCode;
  /** HTTP status of the answer, e.g. 412. */
  readonly status: number;
  /** The server's request id (also in its logs and audit trail). */
  readonly requestId: string;
  /** For `validation.failed`: which parts of the request were refused. */
  readonly details: ErrorDetail[] | undefined;
  /** Seconds to wait before retrying, when the server said so (429 `auth.rate_limited`). */
  readonly retryAfter: number | undefined;

  constructor(init: { code: ErrorCode; message: string; status: number; requestId: string; details?: ErrorDetail[]; retryAfter?: number }) {
    super(`${init.message} (${init.code}, HTTP ${init.status})`);
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
  }
}

/**
 * No usable answer came back from the server:
 * - `network`: the connection failed (refused, DNS, TLS, reset);
 * - `timeout`: no answer within the client's `timeoutMs`;
 * - `protocol`: something answered, but not a Coffer server (not JSON, no error envelope, a redirect).
 */
export class CofferTransportError extends Error {
  override readonly name = 'CofferTransportError';
  readonly kind: 'network' | 'timeout' | 'protocol';
  /** HTTP status, when something answered (`protocol` only). */
  readonly status: number | undefined;

  constructor(kind: 'network' | 'timeout' | 'protocol', message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.status = opts.status;
  }
}

/**
 * True when `e` is an error answer of the server, optionally with the given code.
 *
 * ```ts
 * try { await coffer.secrets.update(id, patch, { ifMatch: etag }); }
 * catch (e) { if (isCofferError(e, 'precondition_failed')) reload(); else throw e; }
 * ```
 */
export function isCofferError(e: unknown, code?: ErrorCode): e is CofferError {
  return e instanceof CofferError && (code === undefined || e.code === code);
}
