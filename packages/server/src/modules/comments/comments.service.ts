import type { Comment, CreateComment, UpdateComment } from '@coffer/contracts/comments';
import { isCleanText } from '@coffer/contracts/text';
import type { Executor, Trx } from '../../db/database.ts';
import type { SecretCommentTable } from '../../db/schema-comments.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { levelRank } from '../access/levels.ts';
import type { createAudited } from '../audit/audit-log.ts';
import { type RequestContext, requireUser } from '../auth/actor.ts';
import type { Author } from '../secrets/authors.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import * as repo from './comments.repository.ts';

/** Comments one secret may hold (a list answers them all). */
export const MAX_COMMENTS_PER_SECRET = 1000;
/** A comment's length in characters (code points). */
export const MAX_COMMENT_LENGTH = 255;

const invalid = (path: string, message: string, rule: string) =>
  new AppError('validation.failed', message, { details: [{ path, message, rule }] });

/** The content as stored: 1..255 characters of display text (contracts/text.ts), not blank. */
export function checkContent(content: unknown): string {
  if (typeof content !== 'string') throw invalid('/content', 'The content should be a string.', 'type');
  if (content.trim() === '') throw invalid('/content', 'The content should not be empty.', 'minLength');
  if ([...content].length > MAX_COMMENT_LENGTH) {
    throw invalid('/content', `The content should be ${MAX_COMMENT_LENGTH} characters in length maximum.`, 'maxLength');
  }
  if (!isCleanText(content)) {
    throw invalid('/content', 'The content must not hold control characters or bidirectional overrides.', 'utf8Extended');
  }
  return content;
}

export function presentComment(r: SecretCommentTable): Comment {
  return {
    id: r.id,
    secretId: r.secret_id,
    parentId: r.parent_id,
    content: r.content,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

const noComment = () => new AppError('not_found', 'No such comment.');

/**
 * Comments on secrets (Passbolt's comments on resources): display text, never secret.
 *
 * Invariants:
 * - reading and adding a secret's comments needs `view` on it (a secret the caller cannot see
 *   answers 404 as a missing one); a trashed secret's comments are unreachable (404);
 * - only its author edits a comment; its author or a holder of `manage` on the secret deletes
 *   it, and its replies go with it;
 * - a reply's parent is a comment of the same secret;
 * - purging a secret drops its comments (foreign-key cascade).
 */
export function createCommentsService(deps: { clock: Clock; secrets: SecretsService; audited: ReturnType<typeof createAudited> }) {
  const { clock, secrets, audited } = deps;

  /** A comment whose secret the caller may view, with the caller's level on the secret. */
  async function reachable(exec: Executor, ctx: RequestContext, id: string) {
    const row = await repo.commentById(exec, id);
    if (!row) throw noComment();
    try {
      const { level } = await secrets.load(exec, ctx, row.secret_id, 'view');
      return { row, level };
    } catch (e) {
      // a comment of a secret one cannot see (or in the trash) reads as a missing comment
      if (e instanceof AppError && e.code === 'not_found') throw noComment();
      throw e;
    }
  }

  async function list(ctx: RequestContext, secretId: string): Promise<{ items: Comment[]; nextCursor: null }> {
    return audited(ctx, { action: 'comment.list', objectType: 'secret', objectId: secretId, readOnly: true }, async (exec, ev) => {
      await secrets.load(exec, ctx, secretId, 'view');
      const rows = await repo.commentsOf(exec, secretId, MAX_COMMENTS_PER_SECRET);
      ev.details = { count: rows.length };
      return { items: rows.map(presentComment), nextCursor: null };
    });
  }

  async function create(ctx: RequestContext, secretId: string, input: CreateComment): Promise<Comment> {
    return audited(ctx, { action: 'comment.create', objectType: 'comment' }, async (trx: Trx, ev) => {
      requireUser(ctx.actor);
      ev.details = { secretId, parentId: input.parentId ?? null };
      await secrets.load(trx, ctx, secretId, 'view');
      const content = checkContent(input.content);
      if (input.parentId !== undefined && input.parentId !== null) {
        const parent = await repo.commentById(trx, input.parentId);
        if (!parent || parent.secret_id !== secretId) {
          throw invalid('/parentId', 'The parent comment does not exist on this secret.', 'parentExists');
        }
      }
      const held = await repo.countOf(trx, secretId);
      if (held.count >= MAX_COMMENTS_PER_SECRET) {
        throw new AppError('conflict', `A secret holds at most ${MAX_COMMENTS_PER_SECRET} comments.`);
      }
      // after the secret's latest comment, even within one millisecond: a list answers them in order
      const now = Math.max(clock.now(), held.latest + 1);
      const row: SecretCommentTable = {
        id: newId('cmt', now),
        secret_id: secretId,
        parent_id: input.parentId ?? null,
        content,
        created_by: ctx.actor.userId,
        updated_by: ctx.actor.userId,
        created_at: now,
        updated_at: now,
      };
      await repo.insertComment(trx, row);
      ev.objectId = row.id;
      return presentComment(row);
    });
  }

  async function update(ctx: RequestContext, id: string, input: UpdateComment): Promise<Comment> {
    return audited(ctx, { action: 'comment.update', objectType: 'comment', objectId: id }, async (trx: Trx, ev) => {
      requireUser(ctx.actor);
      const { row } = await reachable(trx, ctx, id);
      ev.details = { secretId: row.secret_id };
      if (row.created_by !== ctx.actor.userId) throw new AppError('forbidden', 'Only its author may edit a comment.');
      const content = checkContent(input.content);
      const now = clock.now();
      await repo.setContent(trx, id, content, ctx.actor.userId, now);
      return presentComment({ ...row, content, updated_by: ctx.actor.userId, updated_at: now });
    });
  }

  async function remove(ctx: RequestContext, id: string): Promise<void> {
    await audited(ctx, { action: 'comment.delete', objectType: 'comment', objectId: id }, async (trx: Trx, ev) => {
      requireUser(ctx.actor);
      const { row, level } = await reachable(trx, ctx, id);
      ev.details = { secretId: row.secret_id };
      if (row.created_by !== ctx.actor.userId && level < levelRank.manage) {
        throw new AppError('forbidden', 'Only its author or a manager of the secret may delete a comment.');
      }
      const replies = await repo.descendantCount(trx, id);
      await repo.deleteComment(trx, id);
      ev.details = { secretId: row.secret_id, replies };
    });
  }

  /** Who wrote these comments (no check: for comments the caller has just read). */
  async function authorsAmong(exec: Executor, userIds: readonly string[]): Promise<Map<string, Author>> {
    const rows = await repo.usersAmong(exec, [...new Set(userIds)]);
    return new Map(
      rows.map((u) => [
        u.id,
        { id: u.id, username: u.username, firstName: u.first_name, lastName: u.last_name, active: u.status === 'active' },
      ]),
    );
  }

  return { list, create, update, remove, authorsAmong };
}
export type CommentsService = ReturnType<typeof createCommentsService>;
