// Files of a password: read (`GET /passwords/{id}/attachment/{attachmentId}`: a reveal, answered
// as {id, name, encryptedKey, encryptedData, hash}), add, delete. Without client-side encryption
// the file is stored as itself and answered base64 twice with the hash the clients check; a
// client-encrypted file is kept as its client sent it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { fieldsOf } from './body.ts';
import { encodeFile, PLAIN_ATTACHMENT_KEY, passworkFileHash } from './codec.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { ENCRYPTED_MEDIA_TYPE, readFile, uploadAll } from './files.ts';
import { clearAttachments, encryptedAttachments } from './input.ts';
import { encryptedSession, requireItemMode } from './keys.ts';
import { ENCRYPTED_TEMPLATE, type SecretWire } from './mapper.ts';
import { reasonOf } from './present.ts';
import { attachment, exact, responses, str } from './schemas.ts';

const params = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 200 },
    attachmentId: { type: 'string', minLength: 1, maxLength: 200 },
  },
  required: ['id', 'attachmentId'],
} as const;

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

export function attachmentRoutes(app: FastifyInstance, c: PassworkDeps): void {
  app.get('/passwords/:id/attachment/:attachmentId', {
    config: cfg('passwork.attachment.get'),
    schema: { params, response: responses({ 200: attachment }) },
    handler: async (req: FastifyRequest) => {
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      const { attachment: a, bytes } = await readFile(c, req.ctx, id, attachmentId, reasonOf(req));
      const encrypted = await encryptedSession(c, req);
      if (a.contentType === ENCRYPTED_MEDIA_TYPE) {
        requireItemMode(ENCRYPTED_TEMPLATE, ENCRYPTED_TEMPLATE, encrypted);
        let stored: { encryptedKey?: unknown; encryptedData?: unknown; hash?: unknown } = {};
        try {
          stored = JSON.parse(bytes.toString('utf8'));
        } catch {
          stored = {};
        }
        const s = (v: unknown) => (typeof v === 'string' ? v : '');
        return ok({
          id: a.id,
          name: a.name,
          encryptedKey: s(stored.encryptedKey),
          encryptedData: s(stored.encryptedData),
          hash: s(stored.hash),
        });
      }
      requireItemMode('', ENCRYPTED_TEMPLATE, encrypted);
      return ok({
        id: a.id,
        name: a.name,
        encryptedKey: PLAIN_ATTACHMENT_KEY,
        encryptedData: encodeFile(bytes),
        hash: passworkFileHash(bytes),
      });
    },
  });

  app.post('/passwords/:id/attachment', {
    config: cfg('passwork.attachment.add'),
    bodyLimit: Math.max(1024 * 1024, Math.ceil(c.attachmentMaxBytes * 2)),
    schema: {
      params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] },
      response: responses({ 200: exact({ id: str, name: str }) }),
    },
    handler: async (req: FastifyRequest) => {
      const id = (req.params as { id: string }).id;
      const encrypted = await encryptedSession(c, req);
      const s = (await c.secrets.get(req.ctx, id)) as SecretWire;
      requireItemMode(s.template, ENCRYPTED_TEMPLATE, encrypted);
      const body = { attachments: [fieldsOf(req.body)] };
      const files = encrypted ? encryptedAttachments(body, c.attachmentMaxBytes) : clearAttachments(body, c.attachmentMaxBytes);
      const [stored] = await uploadAll(c, req.ctx, id, files, encrypted);
      if (!stored) throw new AppError('validation.failed', 'No file.');
      return ok(stored);
    },
  });

  app.delete('/passwords/:id/attachment/:attachmentId', {
    config: cfg('passwork.attachment.delete'),
    schema: { params, response: responses({ 200: str }) },
    handler: async (req: FastifyRequest) => {
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      await c.attachments.remove(req.ctx, id, attachmentId);
      return ok('attachmentDeleted');
    },
  });
}
