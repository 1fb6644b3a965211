import { Readable } from 'node:stream';
import { Attachment, AttachmentParams, DownloadHeaders, DownloadQuery, UploadHeaders, UploadQuery } from '@coffer/contracts/attachments';
import { IdParams, Page } from '@coffer/contracts/common';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError, isAppError } from '../../lib/app-error.ts';
import type { AttachmentsService } from './attachments.service.ts';

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266 / 8187). */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^A-Za-z0-9 ._()-]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The file name from `?name=` or the `x-filename` header (percent-encoded UTF-8); exactly one of them. */
function fileName(query: string | undefined, header: string | undefined): string {
  let fromHeader: string | undefined;
  if (header !== undefined) {
    try {
      fromHeader = decodeURIComponent(header);
    } catch {
      throw new AppError('validation.failed', 'x-filename must be percent-encoded UTF-8.', {
        details: [{ path: 'headers/x-filename', message: 'invalid percent-encoding' }],
      });
    }
  }
  if (query !== undefined && fromHeader !== undefined && query !== fromHeader) {
    throw new AppError('validation.failed', 'Give the file name once: ?name= or x-filename.', {
      details: [{ path: 'querystring/name', message: 'differs from x-filename' }],
    });
  }
  const name = query ?? fromHeader;
  if (name === undefined) {
    throw new AppError('validation.failed', 'Name the file: ?name= or the x-filename header.', {
      details: [{ path: 'querystring/name', message: 'required' }],
    });
  }
  return name;
}

export function attachmentsRoutes(fastify: FastifyInstance, deps: { attachments: AttachmentsService; maxBytes: number }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { attachments, maxBytes } = deps;
  const tags = ['attachments'];

  app.get('/api/v1/secrets/:id/attachments', {
    config: { auth: 'user', permission: 'self', action: 'attachment.list' },
    schema: {
      tags,
      summary: 'Attachments of a secret: names, types and sizes, never content (view)',
      params: IdParams,
      response: { 200: Page(Attachment) },
    },
    handler: async (req) => attachments.list(req.ctx, req.params.id),
  });

  app.get('/api/v1/secrets/:id/attachments/:attachmentId', {
    config: { auth: 'user', permission: 'self', action: 'attachment.download' },
    exposeHeadRoute: false, // a HEAD would decrypt the whole file and be audited as a download
    schema: {
      tags,
      summary: 'Download an attachment (reveal), streamed; a reason (?reason= or x-reveal-reason) when the policy asks for one',
      description:
        'Served as application/octet-stream with Content-Disposition: attachment. Each chunk is decrypted and checked before it is ' +
        'sent; if a later chunk fails its integrity check the connection is aborted, so the client never gets a complete-looking file.',
      params: AttachmentParams,
      querystring: DownloadQuery,
      headers: DownloadHeaders,
      response: {
        200: {
          description: 'The file',
          content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
        },
      },
    },
    handler: async (req, reply) => {
      const reason = req.query.reason ?? req.headers['x-reveal-reason'];
      const { attachment, content } = await attachments.download(req.ctx, req.params.id, req.params.attachmentId, reason);
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(attachment.size))
        .header('content-disposition', contentDisposition(attachment.name));
      // a stream (Fastify pipes it); typed as the documented binary string
      const stream = Readable.from(content, { objectMode: false });
      // a chunk that fails after the headers went out aborts the connection (Fastify logs that as a
      // warning); the failure is logged here at error level under the request id, with the record
      stream.once('error', (e) =>
        req.log.error({ err: isAppError(e) && e.cause ? e.cause : e, code: isAppError(e) ? e.code : 'internal' }, 'download aborted'),
      );
      return reply.send(stream as unknown as string);
    },
  });

  app.delete('/api/v1/secrets/:id/attachments/:attachmentId', {
    config: { auth: 'user', permission: 'self', action: 'attachment.delete' },
    schema: {
      tags,
      summary: 'Delete an attachment (edit); a new version of the secret',
      params: AttachmentParams,
      response: { 204: Type.Null() },
    },
    handler: async (req, reply) => {
      await attachments.remove(req.ctx, req.params.id, req.params.attachmentId);
      return reply.code(204).send(null);
    },
  });

  // The upload takes the raw body as a stream: only this plugin (encapsulated) has the parser, so
  // no other route accepts application/octet-stream. The parser hands over the stream untouched, so
  // Fastify's bodyLimit does not apply; the service enforces attachmentMaxBytes while it reads.
  void fastify.register(async (child) => {
    child.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    child.withTypeProvider<TypeBoxTypeProvider>().post('/api/v1/secrets/:id/attachments', {
      config: { auth: 'user', permission: 'self', action: 'attachment.upload' },
      schema: {
        tags,
        summary: 'Upload an attachment (edit): the raw body is the file, Content-Type: application/octet-stream',
        description:
          `The file name comes from ?name= or the x-filename header (percent-encoded UTF-8); the media type, kept for listing, from ` +
          `?contentType= or x-content-type. At most COFFER_ATTACHMENT_MAX_BYTES (${maxBytes} here); a larger body gets 413 and ` +
          'nothing is stored. The content is encrypted in 64 KiB chunks. A new version of the secret.',
        params: IdParams,
        querystring: UploadQuery,
        headers: UploadHeaders,
        response: { 201: Attachment },
      },
      handler: async (req, reply) => {
        const body = req.body as unknown;
        try {
          if (!(body instanceof Readable)) {
            throw new AppError(
              'request.unsupported_media_type',
              'Send the file as the raw body with Content-Type: application/octet-stream.',
            );
          }
          const name = fileName(req.query.name, req.headers['x-filename']);
          const contentType = (req.query.contentType ?? req.headers['x-content-type'] ?? 'application/octet-stream').toLowerCase();
          // not destroyed when the service stops reading early: the error response still goes out
          const stream = body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
          return reply.code(201).send(await attachments.upload(req.ctx, req.params.id, { name, contentType }, stream));
        } catch (e) {
          if (body instanceof Readable && !body.readableEnded) lingerThenClose(body, req.raw.socket);
          throw e;
        }
      },
    });
  });
}

/** How long, and how much more of a refused upload is read and dropped so the client sees the answer. */
const LINGER_MS = 2000;
const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * A refused upload (too large, forbidden, …) leaves the rest of its body unread. Closing the socket
 * then makes the kernel answer with a reset, which can reach the client before it has read the
 * error — it sees EPIPE/ECONNRESET instead of 413. So, like a web server's lingering close, the rest
 * is read and dropped while the answer goes out, for at most LINGER_MS and LINGER_BYTES; a client
 * that keeps sending past that is cut off. A client that stops (it read the answer) and ends its
 * request keeps its connection.
 */
function lingerThenClose(body: Readable, socket: import('node:net').Socket): void {
  let dropped = 0;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  body.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) cut();
  });
  body.once('end', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
  body.resume();
}
