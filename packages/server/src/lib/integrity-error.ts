import { AppError } from './app-error.ts';

/** The stored value that failed its check: record type, id and field (or chunk). Never its content. */
export interface RecordRef {
  type: string;
  id: string;
  field: string;
}

/**
 * The cause of an `integrity.failed` AppError. It carries the record for the audit trail and the
 * log; the client's answer carries none of it (the message below is the same for every record).
 */
export class IntegrityFailure extends Error {
  override name = 'IntegrityFailure';
  readonly record: RecordRef;
  constructor(record: RecordRef) {
    super(`stored ${record.type} ${record.id} (${record.field}) failed its integrity check`);
    this.record = { type: record.type, id: record.id, field: record.field };
  }
}

const MESSAGE =
  'Stored data failed its integrity check (it was altered or damaged in the database); nothing was returned. ' +
  'An administrator finds the record in the audit trail (integrity.failure) under this request id.';

/** A ciphertext that does not authenticate, or stored content that breaks its own invariants. */
export function integrityError(record: RecordRef): AppError {
  return new AppError('integrity.failed', MESSAGE, { cause: new IntegrityFailure(record) });
}

/** The record of an integrity failure anywhere in `err`'s chain of causes, or undefined. */
export function integrityRecordOf(err: unknown): RecordRef | undefined {
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    if (e instanceof IntegrityFailure) return e.record;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
