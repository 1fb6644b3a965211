// Passbolt's comments on resources (ADR 0025 "Comments"): a thin adapter over modules/comments
// (same permissions and audit as natively, `via` passbolt). The resource is found as every resource
// route finds it (readableSecret: unknown, hidden and server-encrypted answer the same 404); a
// comment's UUID is the number of its Coffer id (kind 'comment').
import type { Comment } from '@coffer/contracts/comments';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { Author } from '../../modules/secrets/authors.ts';
import { fieldsOf, invalid, required, text } from './body.ts';
import { dateOf } from './dates.ts';
import { apiVersion, ok } from './envelope.ts';
import { ANY_UUID } from './ids.ts';
import { authorObject } from './present-resource.ts';
import { readableSecret } from './resources.ts';
import { anyJson, ERRORS, envelope, exact, itemOf, itemsOf, nullableStr, str, userSchema } from './schemas.ts';
import type { PassboltContext } from './surface.ts';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

const nullableUser = { anyOf: [{ type: 'null' }, userSchema] };
const commentFields = {
  id: str,
  parent_id: nullableStr,
  foreign_key: str,
  foreign_model: str,
  content: str,
  created: str,
  modified: str,
  created_by: nullableStr,
  modified_by: nullableStr,
  user_id: nullableStr,
};
/** A comment, v2 (creator and modifier inline when contained) or v1 (`Comment`, `Creator`, `Modifier`). */
export const commentSchema = exact({ ...commentFields, creator: nullableUser, modifier: nullableUser }, ['creator', 'modifier']);
const V1_CONTAINED = { Creator: nullableUser, Modifier: nullableUser };
const one = envelope(itemOf(commentSchema, 'Comment', V1_CONTAINED));
const many = envelope(itemsOf(commentSchema, 'Comment', V1_CONTAINED));

/** `contain[creator]`, `contain[modifier]` of the query (keys or a parsed `contain` object). */
function containOf(query: unknown): { creator: boolean; modifier: boolean } {
  const q = (query ?? {}) as Record<string, unknown>;
  const nested = (typeof q.contain === 'object' && q.contain ? q.contain : {}) as Record<string, unknown>;
  const on = (k: string) => {
    const v = q[`contain[${k}]`] ?? nested[k];
    return v === '1' || v === 'true' || v === 1 || v === true;
  };
  return { creator: on('creator'), modifier: on('modifier') };
}

async function presentComments(c: PassboltContext, req: FastifyRequest, items: Comment[], contain = { creator: false, modifier: false }) {
  const date = dateOf(req);
  const commentUuids = await c.ids.uuidsOf('comment', [...new Set(items.flatMap((x) => (x.parentId ? [x.id, x.parentId] : [x.id])))]);
  const secretUuids = await c.ids.uuidsOf('secret', [...new Set(items.map((x) => x.secretId))]);
  const userIds = [...new Set(items.flatMap((x) => [x.createdBy, x.updatedBy]).filter((x): x is string => !!x))];
  const userUuids = await c.ids.uuidsOf('user', userIds);
  const authors = contain.creator || contain.modifier ? await c.comments.authorsAmong(c.db, userIds) : new Map<string, Author>();
  const uuidOfUser = (id: string | null) => (id ? (userUuids.get(id) ?? null) : null);
  const userObj = (id: string | null) => authorObject(id ? authors.get(id) : undefined, uuidOfUser);
  const v1 = apiVersion(req) === 'v1';
  return items.map((x) => {
    const base = {
      id: commentUuids.get(x.id) as string,
      parent_id: x.parentId ? (commentUuids.get(x.parentId) ?? null) : null,
      foreign_key: secretUuids.get(x.secretId) as string,
      foreign_model: 'Resource',
      content: x.content,
      created: date(x.createdAt),
      modified: date(x.updatedAt),
      created_by: uuidOfUser(x.createdBy),
      modified_by: uuidOfUser(x.updatedBy),
      user_id: uuidOfUser(x.createdBy),
    };
    const contained: Record<string, unknown> = {};
    if (contain.creator) contained[v1 ? 'Creator' : 'creator'] = userObj(x.createdBy);
    if (contain.modifier) contained[v1 ? 'Modifier' : 'modifier'] = userObj(x.updatedBy);
    return v1 ? { Comment: base, ...contained } : { ...base, ...contained };
  });
}

/** The comment's Coffer id from its UUID (a malformed one: 400; an unknown one: 404). */
async function commentIdOf(c: PassboltContext, uuid: string): Promise<string> {
  if (!ANY_UUID.test(uuid)) throw invalid('id', 'uuid', 'The comment identifier should be a valid UUID.');
  const id = await c.ids.idOf('comment', uuid);
  if (id === undefined) throw new AppError('not_found', 'The comment does not exist.');
  return id;
}

/** The service's validation details named as Passbolt names its fields (`parentId` -> `parent_id`). */
async function passboltFields<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isAppError(e) || e.code !== 'validation.failed') throw e;
    const details = (e.details ?? []).map((d) => (d.path === '/parentId' ? { ...d, path: '/parent_id' } : d));
    throw new AppError('validation.failed', 'Could not validate the comment data.', { details });
  }
}

// the service counts characters (code points) and checks the text rules; 1024 UTF-16 units only bounds the read
export function commentRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.get('/comments/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'comment.list' },
    schema: { response: { 200: many, ...ERRORS } },
    handler: async (req: IdReq) => {
      const s = await readableSecret(c, req, req.params.id);
      const page = await c.comments.list(req.ctx, s.id);
      return ok(req, await presentComments(c, req, page.items, containOf(req.query)));
    },
  });

  api.post('/comments/resource/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'comment.create' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req: IdReq) => {
      const s = await readableSecret(c, req, req.params.id);
      const b = fieldsOf(req.body);
      const content = required(b, 'content', 1024);
      const parentUuid = text(b, 'parent_id', 36);
      let parentId: string | undefined;
      if (parentUuid !== undefined && parentUuid !== '') {
        if (!ANY_UUID.test(parentUuid)) throw invalid('parent_id', 'uuid', 'The parent identifier should be a valid UUID.');
        parentId = await c.ids.idOf('comment', parentUuid);
        if (parentId === undefined) throw invalid('parent_id', 'parentExists', 'The parent comment does not exist on this resource.');
      }
      const made = await passboltFields(() => c.comments.create(req.ctx, s.id, { content, ...(parentId ? { parentId } : {}) }));
      const [out] = await presentComments(c, req, [made]);
      return ok(req, out, 'The comment was successfully added.');
    },
  });

  api.put('/comments/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'comment.update' },
    schema: { response: { 200: one, ...ERRORS } },
    handler: async (req: IdReq) => {
      const id = await commentIdOf(c, req.params.id);
      const content = required(fieldsOf(req.body), 'content', 1024);
      const made = await passboltFields(() => c.comments.update(req.ctx, id, { content }));
      const [out] = await presentComments(c, req, [made]);
      return ok(req, out, 'The comment was successfully updated.');
    },
  });

  api.delete('/comments/:id.json', {
    config: { auth: 'user', permission: 'self', action: 'comment.delete' },
    schema: { response: { 200: envelope(anyJson), ...ERRORS } },
    handler: async (req: IdReq) => {
      await c.comments.remove(req.ctx, await commentIdOf(c, req.params.id));
      return ok(req, null, 'The comment was successfully deleted.');
    },
  });
}
