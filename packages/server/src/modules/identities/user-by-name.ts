import type { User } from '@coffer/contracts/identities';
import { AppError } from '../../lib/app-error.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { authorize, type RequestContext } from '../auth/actor.ts';
import { canonicalUsername } from './username.ts';
import { presentUser } from './users.presenter.ts';
import { findUserByCanonical } from './users.repository.ts';

/**
 * A user by exact username, for administrators (`users.read`): disabled users included, unlike the
 * lookup every signed-in user may make (user-lookup.service.ts). Compatibility APIs name users by
 * username (PMP's `user/getUserId`, `user/lock`, `user/unlock`). Audited; a missing user is
 * `not_found` with reason `user`.
 */
export function createUserByName(deps: { audited: ReturnType<typeof createAudited> }) {
  async function byName(ctx: RequestContext, username: string): Promise<User> {
    return deps.audited(ctx, { action: 'user.by_name', objectType: 'user', readOnly: true }, async (exec, ev) => {
      authorize(ctx.actor, 'users.read');
      const canonical = canonicalUsername(username);
      const u = canonical ? await findUserByCanonical(exec, canonical) : undefined;
      if (!u) throw new AppError('not_found', 'No such user.', { reason: 'user' });
      ev.objectId = u.id;
      return presentUser(u);
    });
  }
  return { byName };
}
export type UserByName = ReturnType<typeof createUserByName>;
