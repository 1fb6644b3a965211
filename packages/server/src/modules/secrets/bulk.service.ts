import type { BulkCreate, BulkDelete, BulkItemResult, BulkMove, BulkResult, BulkShare } from '@coffer/contracts/bulk';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { SecretsService } from './secrets.service.ts';

type Outcome = { id: string; grantId?: string };

/**
 * Bulk operations over the secrets service: each item is one call of the single-item use case, so
 * it is authorized, validated and audited exactly as alone, in its own transaction — one failing
 * item undoes nothing else. The body was validated as a whole before (schema, at most BULK_MAX
 * items). Invariants:
 * - results come back one per item, in request order, with the item's index;
 * - an item the caller cannot see fails with the same not_found as a missing one;
 * - if the audit trail cannot be written, the remaining items are not attempted (fail closed);
 * - a summary record (counts only) closes the call in the audit trail.
 */
export function createBulkService(deps: {
  secrets: Pick<SecretsService, 'create' | 'update' | 'trash' | 'share'>;
  audited: ReturnType<typeof createAudited>;
  /** Where unexpected errors of single items go (their response only says "Internal error."). */
  onError?: (err: unknown) => void;
}) {
  const { secrets, audited } = deps;

  async function run(ctx: RequestContext, action: string, count: number, item: (i: number) => Promise<Outcome>): Promise<BulkResult> {
    requireUser(ctx.actor);
    const results: BulkItemResult[] = [];
    let halted: AppError | null = null;
    for (let index = 0; index < count; index++) {
      if (halted) {
        results.push({ index, ok: false, error: { code: halted.code, message: 'Not attempted: the audit trail could not be written.' } });
        continue;
      }
      try {
        results.push({ index, ok: true, ...(await item(index)) });
      } catch (e) {
        if (!isAppError(e)) deps.onError?.(e);
        const err = isAppError(e) ? e : new AppError('internal', 'Internal error.');
        const message = err.code === 'internal' ? 'Internal error.' : err.message;
        results.push({ index, ok: false, error: { code: err.code, message, ...(err.details ? { details: err.details } : {}) } });
        if (err.code === 'audit.unavailable') halted = err;
      }
    }
    const succeeded = results.filter((r) => r.ok).length;
    const failed = count - succeeded;
    await audited(ctx, { action, objectType: 'secret' }, async (_trx, ev) => {
      ev.details = { items: count, succeeded, failed };
    });
    return { results, succeeded, failed };
  }

  async function create(ctx: RequestContext, input: BulkCreate) {
    return run(ctx, 'secret.bulk_create', input.items.length, async (i) => {
      const s = await secrets.create(ctx, input.items[i] as BulkCreate['items'][number]);
      return { id: s.id };
    });
  }

  async function move(ctx: RequestContext, input: BulkMove) {
    return run(ctx, 'secret.bulk_move', input.ids.length, async (i) => {
      const s = await secrets.update(ctx, input.ids[i] as string, { vaultId: input.vaultId, folderId: input.folderId ?? null });
      return { id: s.id };
    });
  }

  async function trash(ctx: RequestContext, input: BulkDelete) {
    return run(ctx, 'secret.bulk_delete', input.ids.length, async (i) => {
      const id = input.ids[i] as string;
      await secrets.trash(ctx, id);
      return { id };
    });
  }

  async function share(ctx: RequestContext, input: BulkShare) {
    return run(ctx, 'secret.bulk_share', input.ids.length, async (i) => {
      const id = input.ids[i] as string;
      const g = await secrets.share(ctx, id, {
        userId: input.userId,
        level: input.level,
        ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
      });
      return { id, grantId: g.id };
    });
  }

  return { create, move, trash, share };
}
export type BulkService = ReturnType<typeof createBulkService>;
