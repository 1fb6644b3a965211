import type { ErrorCode } from '@coffer/contracts/errors';

export interface ErrorDetail {
  path: string;
  message: string;
  /** The rule that failed, for envelopes that name it (Passbolt's `{field: {rule: message}}`). */
  rule?: string;
}

/**
 * The one error type of the domain. Services throw it; the HTTP layer maps `code` to a status
 * (http/errors.ts). `message` is shown to the client, so it never contains a secret or a stack.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  /** Seconds; becomes Retry-After. */
  readonly retryAfter: number | undefined;
  /**
   * A typed sub-code (e.g. `not_found` + `secret`), for compatibility APIs that answer each case
   * with their product's own code; they map on it, never on the message text. Never shown natively.
   */
  readonly reason: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: ErrorDetail[]; cause?: unknown; retryAfter?: number; reason?: string } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
    this.reason = opts.reason;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
