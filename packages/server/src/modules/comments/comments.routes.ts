import { Comment, CreateComment, UpdateComment } from '@coffer/contracts/comments';
import { IdParams, Page } from '@coffer/contracts/common';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { CommentsService } from './comments.service.ts';

export function commentsRoutes(fastify: FastifyInstance, deps: { comments: CommentsService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { comments } = deps;
  const tags = ['comments'];

  app.get('/api/v1/secrets/:id/comments', {
    config: { auth: 'user', permission: 'self', action: 'comment.list' },
    schema: {
      tags,
      summary: "A secret's comments, oldest first (view); comments are display text, never secrets",
      params: IdParams,
      response: { 200: Page(Comment) },
    },
    handler: async (req) => comments.list(req.ctx, req.params.id),
  });
  app.post('/api/v1/secrets/:id/comments', {
    config: { auth: 'user', permission: 'self', action: 'comment.create' },
    schema: {
      tags,
      summary: 'Comment on a secret, or reply to one of its comments with parentId (view)',
      params: IdParams,
      body: CreateComment,
      response: { 201: Comment },
    },
    handler: async (req, reply) => reply.code(201).send(await comments.create(req.ctx, req.params.id, req.body)),
  });
  app.patch('/api/v1/comments/:id', {
    config: { auth: 'user', permission: 'self', action: 'comment.update' },
    schema: { tags, summary: 'Edit a comment (its author)', params: IdParams, body: UpdateComment, response: { 200: Comment } },
    handler: async (req) => comments.update(req.ctx, req.params.id, req.body),
  });
  app.delete('/api/v1/comments/:id', {
    config: { auth: 'user', permission: 'self', action: 'comment.delete' },
    schema: {
      tags,
      summary: 'Delete a comment and its replies (its author, or manage on the secret)',
      params: IdParams,
      response: { 204: Type.Null() },
    },
    handler: async (req, reply) => {
      await comments.remove(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
}
