import { CofferTransportError } from '../errors.ts';
import { seg, type Transport } from '../transport.ts';
import type { Attachment, Page } from '../types.ts';

/** What an upload takes: bytes, or a Blob (e.g. `await fs.openAsBlob(path)`, read from disk as it is sent). */
export type FileContent = Uint8Array | ArrayBuffer | Blob | string;

/** The file name of `Content-Disposition: attachment; filename="…"; filename*=UTF-8''…`. */
function fileNameOf(disposition: string | null): string {
  if (!disposition) return '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall back to the plain parameter
    }
  }
  return /filename="([^"]*)"/i.exec(disposition)?.[1] ?? '';
}

/** A reason travels in a header when it can (not logged with the URL), else in the query. */
function reasonOf(reason: string | undefined): { headers?: Record<string, string>; query?: { reason: string } } {
  if (reason === undefined) return {};
  return /^[\x20-\x7e]*$/.test(reason) ? { headers: { 'x-reveal-reason': reason } } : { query: { reason } };
}

/** Files attached to a secret, encrypted at rest; a download is a reveal (audited, with the reason). */
export function attachmentsApi(t: Transport) {
  async function open(secretId: string, attachmentId: string, opts: { reason?: string; timeoutMs?: number }, mode: 'bytes' | 'stream') {
    const path = `/api/v1/secrets/${seg(secretId)}/attachments/${seg(attachmentId)}`;
    const a = await t.perform({ method: 'GET', path, ...reasonOf(opts.reason), timeoutMs: opts.timeoutMs }, mode);
    return { a, path, name: fileNameOf(a.headers.get('content-disposition')), size: Number(a.headers.get('content-length') ?? Number.NaN) };
  }
  return {
    /** Names, media types and sizes of a secret's attachments, never content (`view`). */
    list(secretId: string): Promise<Page<Attachment>> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(secretId)}/attachments` });
    },
    /**
     * Attaches a file to a secret (`edit`; a new version of the secret). The server refuses files over
     * its `COFFER_ATTACHMENT_MAX_BYTES` with 413. `timeoutMs` overrides the client's for a large file.
     */
    upload(secretId: string, content: FileContent, opts: { name: string; contentType?: string; timeoutMs?: number }): Promise<Attachment> {
      return t.json({
        method: 'POST',
        path: `/api/v1/secrets/${seg(secretId)}/attachments`,
        rawBody: { content, contentType: 'application/octet-stream' },
        headers: {
          'x-filename': encodeURIComponent(opts.name),
          ...(opts.contentType ? { 'x-content-type': opts.contentType } : {}),
        },
        timeoutMs: opts.timeoutMs,
      });
    },
    /**
     * Downloads an attachment whole (`reveal`); give a `reason` when the policy requires one.
     * Rejects, rather than answering a truncated file, when the transfer breaks off.
     */
    async download(
      secretId: string,
      attachmentId: string,
      opts: { reason?: string; timeoutMs?: number } = {},
    ): Promise<{ name: string; size: number; content: Uint8Array }> {
      const { a, path, name, size } = await open(secretId, attachmentId, opts, 'bytes');
      const content = a.bytes ?? new Uint8Array();
      if (Number.isFinite(size) && content.byteLength !== size) {
        throw new CofferTransportError('protocol', `The download of GET ${path} is incomplete (${content.byteLength} of ${size} bytes)`);
      }
      return { name, size: content.byteLength, content };
    },
    /**
     * Downloads an attachment as a stream, for large files; the client's timeout covers only the start
     * of the answer. If the server finds a damaged chunk midway, the stream errors: discard what was read.
     */
    async downloadStream(
      secretId: string,
      attachmentId: string,
      opts: { reason?: string; timeoutMs?: number } = {},
    ): Promise<{ name: string; size: number; stream: ReadableStream<Uint8Array> }> {
      const { a, name, size } = await open(secretId, attachmentId, opts, 'stream');
      return { name, size, stream: a.stream ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }) };
    },
    /** Deletes an attachment (`edit`; a new version of the secret). */
    async delete(secretId: string, attachmentId: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/secrets/${seg(secretId)}/attachments/${seg(attachmentId)}` });
    },
  };
}
