import type { Attachment } from '@coffer/contracts/attachments';
import { isCleanName } from '@coffer/contracts/text';
import { envelopeTerm } from '../../crypto/keyring.ts';
import type { Db, Executor, Trx } from '../../db/database.ts';
import type { AttachmentTable, SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { integrityError } from '../../lib/integrity-error.ts';
import type { createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import { CLIENT_ENCRYPTED_MEDIA_TYPE, checkClientFile, SECRET_KIND } from '../e2e/master-password.ts';
import { e2eUnsupported } from '../e2e/messages.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { SealManager } from '../sys/seal.ts';
import type { WorkflowService } from '../workflow/workflow.service.ts';
import { archiveAttachment } from './attachment-store.ts';

/** Plaintext bytes per chunk. */
export const CHUNK_BYTES = 64 * 1024;
/** First byte of every chunk's plaintext: is more content to follow, or is this the last chunk? */
const MORE = 0;
const LAST = 1;
/** Chunk rows per INSERT statement (each row is ~87 KB of text). */
const INSERT_BATCH = 16;

/** Bound to the attachment and the chunk's index: a chunk moved to another index or file fails to decrypt. */
export const chunkBinding = (attachmentId: string, idx: number) => ({ type: 'attachment', id: attachmentId, field: `chunk:${idx}` });

const notFound = () => new AppError('not_found', 'No such attachment.');
/** A chunk that is missing, does not authenticate or breaks the sequence: the stored content is damaged. */
const damaged = (attachmentId: string, idx: number) => integrityError(chunkBinding(attachmentId, idx));
const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** The name rules of the contract, checked again here: names also arrive in a header. */
export function checkName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  const bad = name.length === 0 || name.length > 255 || !isCleanName(name) || /[/\\]/.test(name) || name === '.' || name === '..';
  if (bad) {
    throw new AppError('validation.failed', 'Invalid file name.', {
      details: [{ path: '/name', message: 'must be 1-255 characters without control characters, bidirectional overrides, / or \\' }],
    });
  }
  return name;
}

function present(a: AttachmentTable): Attachment {
  return {
    id: a.id,
    secretId: a.secret_id,
    name: a.name,
    contentType: a.content_type,
    size: Number(a.size),
    createdBy: a.created_by,
    createdAt: iso(a.created_at),
  };
}

/**
 * Attachments of secrets: files stored as AES-GCM encrypted chunks.
 *
 * Invariants:
 * - listing needs `view` on the secret, downloading `reveal` (plus a reason when the effective
 *   policy asks for one — given, or taken from the caller's own approved reveal request or live
 *   checkout, as a reveal does; audited as `attachment.download` with it), adding and removing
 *   `edit`; a secret the caller may not see reads like a missing one (404);
 * - the content is never stored in clear, nor anything derived from it except its size;
 * - each chunk's plaintext is a flag byte (more / last) and up to CHUNK_BYTES of content, encrypted
 *   bound to (attachment id, index): reordering, moving or dropping trailing chunks is detected;
 * - an upload is read and encrypted chunk by chunk with a running size check and written in one
 *   transaction at the end: an upload that is refused, too large or interrupted stores nothing;
 * - a download decrypts each chunk before sending any of it: corrupted plaintext is never sent; a
 *   chunk that fails after the first bytes went out aborts the connection;
 * - adding or removing an attachment is a new version of the secret (changed field
 *   `attachment:<name>`) whose snapshot lists the files by id; a removed file is set aside, still
 *   encrypted (attachment-store.ts), and restoring a version brings back the files it had;
 *   purging the secret deletes its attachments, removed ones too (foreign-key cascade).
 */
export function createAttachmentsService(deps: {
  db: Db;
  clock: Clock;
  seal: SealManager;
  secrets: SecretsService;
  audited: ReturnType<typeof createAudited>;
  /**
   * The workflow gate of a reveal (approval, exclusive checkout, time window): throws when the
   * caller may not open values now; returns the caller's own checkout or approved reveal request
   * with its reason (`wantReason`: look for one even where the policy would not need it).
   */
  revealGate: WorkflowService['revealGate'];
  maxBytes: number;
}) {
  const { db, clock, seal, secrets, audited, maxBytes } = deps;

  /** A refusal found before the use case's transaction is audited like any failed use case. */
  async function refuse(ctx: RequestContext, spec: { action: string; objectType: string; objectId: string }, err: unknown): Promise<never> {
    return audited(ctx, spec, async () => {
      throw err;
    });
  }

  /**
   * Authorizes `edit`, then locks the secret's row (a no-op update: a FOR UPDATE that both dialects
   * take) and reads it again, so concurrent changes to one secret queue up instead of failing.
   */
  async function lockForEdit(trx: Trx, ctx: RequestContext, secretId: string): Promise<SecretTable> {
    await secrets.load(trx, ctx, secretId, 'edit');
    await trx
      .updateTable('secrets')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('id', '=', secretId)
      .execute();
    const s = await trx.selectFrom('secrets').selectAll().where('id', '=', secretId).executeTakeFirst();
    if (!s || s.deleted_at !== null) throw new AppError('not_found', 'No such secret.');
    return s;
  }

  async function list(ctx: RequestContext, secretId: string) {
    return audited(ctx, { action: 'attachment.list', objectType: 'secret', objectId: secretId }, async (trx, ev) => {
      await secrets.load(trx, ctx, secretId, 'view');
      const rows = await trx
        .selectFrom('attachments')
        .selectAll()
        .where('secret_id', '=', secretId)
        .orderBy('name')
        .orderBy('id')
        .execute();
      ev.details = { count: rows.length };
      return { items: rows.map(present), nextCursor: null };
    });
  }

  /**
   * Stores the file read from `body`. Authorizes before reading a byte, encrypts as it reads (the
   * plaintext is never held whole), and writes everything in one short transaction at the end.
   */
  async function upload(
    ctx: RequestContext,
    secretId: string,
    input: { name: string; contentType: string },
    body: AsyncIterable<Buffer | string>,
  ): Promise<Attachment> {
    const spec = { action: 'attachment.upload', objectType: 'secret', objectId: secretId };
    let clientSealed = false;
    let name: string;
    try {
      name = checkName(input.name);
      const { s } = await secrets.load(db, ctx, secretId, 'edit');
      clientSealed = s.e2e === SECRET_KIND.masterPassword;
      // a file would reach the server in clear: not in an end-to-end encrypted vault (ADR 0022),
      // except a master-password item's files, which its client encrypted (ADR 0026)
      if (s.e2e && (s.e2e !== SECRET_KIND.masterPassword || input.contentType !== CLIENT_ENCRYPTED_MEDIA_TYPE)) {
        throw e2eUnsupported(
          s.e2e === SECRET_KIND.masterPassword ? `Attaching a file that is not ${CLIENT_ENCRYPTED_MEDIA_TYPE}` : 'Attaching a file',
        );
      }
    } catch (e) {
      return refuse(ctx, spec, e);
    }
    // a master-password item's file must be what its client made (never a file in clear with the
    // media type): read whole (bounded) and checked before anything is sealed
    if (clientSealed) {
      try {
        const whole = await readBounded(body, maxBytes);
        checkClientFile(whole);
        body = (async function* () {
          yield whole;
        })();
      } catch (e) {
        return refuse(ctx, spec, e);
      }
    }
    const id = newId('att', clock.now());
    const sealed: string[] = [];
    let size = 0;
    // the chunk being filled: flag byte + up to CHUNK_BYTES of content, the only plaintext kept
    const chunk = Buffer.alloc(1 + CHUNK_BYTES);
    let filled = 0;
    const sealChunk = (flag: number) => {
      chunk[0] = flag;
      sealed.push(seal.requireKeys().keyring.encrypt(chunkBinding(id, sealed.length), chunk.subarray(0, 1 + filled)));
      filled = 0;
    };
    try {
      for await (const piece of body) {
        const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
        size += buf.length;
        if (size > maxBytes) throw new AppError('request.body_too_large', `An attachment may hold at most ${maxBytes} bytes.`);
        for (let off = 0; off < buf.length; ) {
          // a full chunk is sealed only once more content is known to follow (the last one is flagged)
          if (filled === CHUNK_BYTES) sealChunk(MORE);
          const n = Math.min(CHUNK_BYTES - filled, buf.length - off);
          buf.copy(chunk, 1 + filled, off, off + n);
          filled += n;
          off += n;
        }
      }
      sealChunk(LAST);
    } catch (e) {
      const err =
        e instanceof AppError
          ? e
          : new AppError('validation.failed', 'The upload was interrupted before the end of the file.', { cause: e });
      return refuse(ctx, spec, err);
    } finally {
      chunk.fill(0);
    }

    return audited(ctx, { action: 'attachment.upload', objectType: 'attachment', objectId: id }, async (trx, ev) => {
      const s = await lockForEdit(trx, ctx, secretId); // again: the grant may have gone meanwhile
      const clash = await trx
        .selectFrom('attachments')
        .select('id')
        .where('secret_id', '=', secretId)
        .where('name', '=', name)
        .executeTakeFirst();
      if (clash) throw new AppError('conflict', 'The secret already has an attachment with that name.');
      // a key rotation during the upload: move the chunks to the active term before they are stored
      const state = await trx.selectFrom('keyring_state').select('active_term').where('id', '=', 1).executeTakeFirstOrThrow();
      for (let i = 0; i < sealed.length; i++) {
        const env = sealed[i] as string;
        if (envelopeTerm(env) !== state.active_term) {
          const pt = await seal.decrypt(trx, chunkBinding(id, i), env);
          sealed[i] = await seal.encrypt(trx, chunkBinding(id, i), pt);
          pt.fill(0);
        }
      }
      const row: AttachmentTable = {
        id,
        secret_id: secretId,
        name,
        content_type: input.contentType,
        size,
        created_by: ctx.actor.userId,
        created_at: clock.now(),
      };
      await trx.insertInto('attachments').values(row).execute();
      for (let i = 0; i < sealed.length; i += INSERT_BATCH) {
        await trx
          .insertInto('attachment_chunks')
          .values(sealed.slice(i, i + INSERT_BATCH).map((data_enc, j) => ({ attachment_id: id, idx: i + j, data_enc })))
          .execute();
      }
      // the new version's snapshot lists the files as they are now, this one included
      const next = await secrets.recordChange(trx, ctx, s, 'attachment.add', [`attachment:${name}`]);
      ev.details = { secretId, name, size, chunks: sealed.length, version: next.version };
      return present(row);
    });
  }

  async function remove(ctx: RequestContext, secretId: string, attachmentId: string): Promise<void> {
    await audited(ctx, { action: 'attachment.delete', objectType: 'attachment', objectId: attachmentId }, async (trx, ev) => {
      const s = await lockForEdit(trx, ctx, secretId);
      const a = await trx
        .selectFrom('attachments')
        .selectAll()
        .where('id', '=', attachmentId)
        .where('secret_id', '=', secretId)
        .executeTakeFirst();
      if (!a) throw notFound();
      // kept aside (still encrypted) so that restoring an older version brings it back
      await archiveAttachment(trx, a.id, ctx.actor.userId, clock.now());
      const next = await secrets.recordChange(trx, ctx, s, 'attachment.remove', [`attachment:${a.name}`]);
      ev.details = { secretId, name: a.name, version: next.version };
    });
  }

  /** Decrypts chunk `idx` and checks its place in the sequence; any failure is `integrity.failed`. */
  async function openChunk(exec: Executor, a: AttachmentTable, idx: number, sentSoFar: number) {
    const r = await exec
      .selectFrom('attachment_chunks')
      .select('data_enc')
      .where('attachment_id', '=', a.id)
      .where('idx', '=', idx)
      .executeTakeFirst();
    if (!r) throw damaged(a.id, idx);
    // a chunk that does not authenticate is an integrity failure naming (attachment, chunk:<idx>)
    const pt = await seal.decrypt(exec, chunkBinding(a.id, idx), r.data_enc);
    const flag = pt[0];
    const data = pt.subarray(1);
    const total = sentSoFar + data.length;
    const size = Number(a.size);
    const bad =
      (flag !== MORE && flag !== LAST) ||
      total > size ||
      // a chunk that is not the last never reaches the size: the client cannot get a complete-looking
      // file before the sequence is known to be whole
      (flag === MORE && (data.length !== CHUNK_BYTES || total >= size)) ||
      (flag === LAST && total !== size);
    if (bad) {
      pt.fill(0);
      throw damaged(a.id, idx);
    }
    return { data, last: flag === LAST };
  }

  /**
   * The attachment's metadata and its content as a stream of decrypted chunks. The reveal (with the
   * reason) is audited, and the first chunk decrypted, before anything is returned; each later chunk
   * is decrypted and checked before any of its bytes is sent.
   */
  async function download(ctx: RequestContext, secretId: string, attachmentId: string, reason?: string) {
    const spec = { action: 'attachment.download', objectType: 'attachment', objectId: attachmentId, reason: reason ?? null };
    const { a, first } = await audited(ctx, spec, async (trx, ev) => {
      const { s } = await secrets.load(trx, ctx, secretId, 'reveal');
      const policy = await secrets.effectivePolicy(trx, s.parent_node_id);
      // a file is a value: the same approval / checkout / time-window rules as a reveal, and the
      // same reason: the one given, else that of the caller's own approved request or checkout
      const hasReason = Boolean(reason?.trim());
      const needsReason = policy.requireReason === true && !hasReason;
      const grant = await deps.revealGate(trx, ctx, s, policy.chain, { wantReason: needsReason });
      let reasonFrom: { reasonFrom?: string } = {};
      if (needsReason) {
        if (!grant?.reason?.trim()) {
          throw new AppError('validation.failed', 'A reason is required to reveal this secret.', {
            details: [{ path: '/reason', message: 'required by policy' }],
          });
        }
        ev.reason = grant.reason;
        reasonFrom = { reasonFrom: grant.from };
      }
      const a = await trx
        .selectFrom('attachments')
        .selectAll()
        .where('id', '=', attachmentId)
        .where('secret_id', '=', secretId)
        .executeTakeFirst();
      if (!a) throw notFound();
      ev.details = { secretId, name: a.name, size: Number(a.size), ...reasonFrom };
      return { a, first: await openChunk(trx, a, 0, 0) };
    });

    async function* content(): AsyncGenerator<Buffer> {
      let chunk = first;
      let sent = 0;
      for (let idx = 1; ; idx++) {
        if (chunk.data.length) yield chunk.data;
        sent += chunk.data.length;
        if (chunk.last) return;
        try {
          chunk = await openChunk(db, a, idx, sent);
        } catch (e) {
          // the reveal is already on record as a success; the failure is recorded next to it
          await refuse(ctx, spec, e).catch(() => undefined);
          throw e;
        }
      }
    }
    return { attachment: present(a), content: content() };
  }

  return { list, upload, remove, download };
}
export type AttachmentsService = ReturnType<typeof createAttachmentsService>;

/** The whole of an upload, refused past `maxBytes`. */
async function readBounded(body: AsyncIterable<Buffer | string>, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    size += buf.length;
    if (size > maxBytes) throw new AppError('request.body_too_large', `An attachment may hold at most ${maxBytes} bytes.`);
    parts.push(buf);
  }
  return Buffer.concat(parts);
}
