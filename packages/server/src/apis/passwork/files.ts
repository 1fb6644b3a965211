// Files of passwords through the secrets' attachments: stored as the file itself (clear mode) or
// as the client's opaque {encryptedKey, encryptedData, hash} (client-side encryption), told apart
// by their media type.
import type { RequestContext } from '../../modules/auth/actor.ts';
/** The media type of an attachment a client-encrypting client stored (its JSON, opaque). */
import { CLIENT_ENCRYPTED_MEDIA_TYPE } from '../../modules/e2e/master-password.ts';
import type { PassworkDeps } from './deps.ts';
import type { FileUpload } from './input.ts';

export const ENCRYPTED_MEDIA_TYPE = CLIENT_ENCRYPTED_MEDIA_TYPE;

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** Stores files on a secret (each its own audited upload); their ids. */
export async function uploadAll(c: PassworkDeps, ctx: RequestContext, secretId: string, files: FileUpload[], encrypted: boolean) {
  const out: Array<{ id: string; name: string }> = [];
  for (const f of files) {
    const a = await c.attachments.upload(
      ctx,
      secretId,
      { name: f.name, contentType: encrypted ? ENCRYPTED_MEDIA_TYPE : 'application/octet-stream' },
      once(f.bytes),
    );
    out.push({ id: a.id, name: a.name });
  }
  return out;
}

/** One attachment's content, whole (a reveal: reason, approval, checkout apply; audited). */
export async function readFile(c: PassworkDeps, ctx: RequestContext, secretId: string, attachmentId: string, reason?: string) {
  const { attachment, content } = await c.attachments.download(ctx, secretId, attachmentId, reason);
  const parts: Buffer[] = [];
  for await (const chunk of content) parts.push(Buffer.from(chunk));
  return { attachment, bytes: Buffer.concat(parts) };
}
