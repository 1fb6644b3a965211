import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { integrityRecordOf } from '../../lib/integrity-error.ts';
import { type RequestContext, systemActor } from '../auth/actor.ts';
import type { AuditEvent, AuditLog } from './audit-log.ts';

/**
 * Integrity failures in the audit trail: a stored value that fails its check gets a record of its
 * own, `integrity.failure` (outcome error), naming the record — type, id and field or chunk, never
 * content — and the operation it broke (`during`). It is written next to the failure record of
 * that operation, so a reviewer can filter on the one action to find every damaged record.
 */
export function integrityEvent(err: unknown, during: string): AuditEvent | null {
  const record = integrityRecordOf(err);
  if (!record) return null;
  return {
    action: 'integrity.failure',
    objectType: record.type,
    objectId: record.id,
    outcome: 'error',
    reason: 'integrity.failed',
    details: { record, during },
  };
}

/**
 * The failure record of an operation and, when the failure is an integrity failure, the
 * integrity record: both durable (group-committed together) before this resolves.
 */
export async function appendFailureRecords(
  deps: { db: Db; audit: Pick<AuditLog, 'appendDurable'> },
  ctx: RequestContext,
  ev: AuditEvent,
  err: unknown,
): Promise<void> {
  const integrity = integrityEvent(err, ev.action);
  await Promise.all([
    deps.audit.appendDurable(deps.db, ctx, ev),
    ...(integrity ? [deps.audit.appendDurable(deps.db, ctx, integrity)] : []),
  ]);
}

/**
 * For work outside a request (webhook deliveries, the re-encryption job, the sweep): records an
 * integrity failure as the system, with the job's id as request id, and logs it at error level.
 * Resolves false (after logging) when the audit record could not be written.
 */
export function createIntegrityReporter(deps: {
  db: Db;
  audit: Pick<AuditLog, 'appendDurable'>;
  clock: Clock;
  log: (fields: Record<string, unknown>, message: string) => void;
}) {
  return async function report(err: unknown, during: string, jobId?: string): Promise<boolean> {
    const ev = integrityEvent(err, during);
    if (!ev) return false;
    const requestId = jobId ?? newId('req', deps.clock.now());
    deps.log({ code: 'integrity.failed', record: integrityRecordOf(err), during, requestId }, 'integrity check failed');
    const ctx: RequestContext = { actor: systemActor, requestId, sourceIp: '', audited: false };
    try {
      await deps.audit.appendDurable(deps.db, ctx, ev);
      return true;
    } catch (auditErr) {
      deps.log({ err: auditErr, requestId }, 'audit write failed');
      return false;
    }
  };
}
export type IntegrityReporter = ReturnType<typeof createIntegrityReporter>;
