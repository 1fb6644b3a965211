import type { Transport } from '../transport.ts';
import type { AuditCheckpoints, AuditQuery, AuditRecord, AuditVerify, Page } from '../types.ts';

/** The hash-chained audit trail (needs `audit.read`). */
export function auditApi(t: Transport) {
  return {
    /** One page of records, newest first, filtered by actor, object, action (or `prefix.*`) and time. */
    list(query: AuditQuery = {}): Promise<Page<AuditRecord>> {
      return t.json({ method: 'GET', path: '/api/v1/audit', query });
    },
    /**
     * Every record matching the filter (newest first), streamed from the server as JSON lines and
     * yielded one by one; `limit` is ignored by the server here. The request is sent when iteration
     * starts; leaving the loop early closes the stream.
     *
     * ```ts
     * for await (const r of coffer.audit.export({ action: 'secret.*' })) console.log(r.seq, r.action);
     * ```
     */
    export(query: Omit<AuditQuery, 'limit'> = {}): AsyncGenerator<AuditRecord, void, undefined> {
      return t.jsonLines<AuditRecord>({ method: 'GET', path: '/api/v1/audit/export', query });
    },
    /** Checks the hash chain and the signed checkpoints; `firstBad` names the first bad record. */
    verify(): Promise<AuditVerify> {
      return t.json({ method: 'GET', path: '/api/v1/audit/verify' });
    },
    /** Signed checkpoints and the public key, for safekeeping outside Coffer. */
    checkpoints(): Promise<AuditCheckpoints> {
      return t.json({ method: 'GET', path: '/api/v1/audit/checkpoints' });
    },
    /** Signs a checkpoint of the current head now; answers all checkpoints. */
    createCheckpoint(): Promise<AuditCheckpoints> {
      return t.json({ method: 'POST', path: '/api/v1/audit/checkpoints' });
    },
  };
}
