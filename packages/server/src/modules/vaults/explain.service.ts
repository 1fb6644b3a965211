import type { Level } from '@coffer/contracts/vaults';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type Actor, type RequestContext, requireUser } from '../auth/actor.ts';
import type { VaultsService } from './vaults.service.ts';

/**
 * `explain`: why a user can or cannot act on a node, with the chain of grants. Anyone may ask about
 * themselves; asking about someone else needs manage on the node, or the Administrator or Password
 * Auditor role (who review access without seeing values).
 */
export function createExplainService(deps: { db: Db; access: Access; vaults: VaultsService; audited: ReturnType<typeof createAudited> }) {
  const { access, vaults, audited } = deps;

  async function explain(ctx: RequestContext, q: { nodeId: string; userId?: string; action?: Level }) {
    return audited(ctx, { action: 'access.explain', objectType: 'node', objectId: q.nodeId }, async (trx, ev) => {
      requireUser(ctx.actor);
      const info = await vaults.nodeInfo(trx, q.nodeId);
      const parent = info.type === 'secret' ? (info.parent as string) : q.nodeId;
      const own =
        info.type === 'secret'
          ? await access.secretLevel(trx, ctx.actor, { id: q.nodeId, parent_node_id: parent })
          : await access.nodeLevel(trx, ctx.actor, q.nodeId);
      const subjectId = q.userId ?? ctx.actor.userId;
      if (own < levelRank.list && !(await vaults.seesInside(trx, ctx, q.nodeId))) throw new AppError('not_found', 'No such object.');
      if (
        subjectId !== ctx.actor.userId &&
        own < levelRank.manage &&
        ctx.actor.role !== 'administrator' &&
        ctx.actor.role !== 'password_auditor'
      ) {
        throw new AppError('forbidden', 'You may explain other users\u2019 access only where you have manage.');
      }
      const u = await trx.selectFrom('users').selectAll().where('id', '=', subjectId).executeTakeFirst();
      if (!u) throw new AppError('not_found', 'No such user.');
      const subject: Actor = {
        kind: u.status === 'active' ? 'user' : 'anonymous',
        userId: u.id,
        username: u.username,
        role: u.role,
        allPasswords: u.all_passwords === 1,
        authMethod: 'session',
        sessionId: null,
        apiKeyId: null,
        scopes: null,
      };
      const r = await access.explain(trx, subject, { nodeId: parent, ...(info.type === 'secret' ? { secretId: q.nodeId } : {}) });
      ev.details = { subject: subjectId };
      return {
        principalId: subjectId,
        nodeId: q.nodeId,
        level: r.level,
        allowed: q.action ? r.level !== null && levelRank[r.level] >= levelRank[q.action] : null,
        roleNote: u.status !== 'active' ? 'the user is disabled' : r.roleNote,
        steps: r.steps,
      };
    });
  }

  return { explain };
}
export type ExplainService = ReturnType<typeof createExplainService>;
