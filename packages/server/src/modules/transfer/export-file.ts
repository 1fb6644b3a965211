import { argon2, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FieldType } from '@coffer/contracts/secrets';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { AppError } from '../../lib/app-error.ts';
import { collect, finish, folderSegment, type ParsedImport } from './entries.ts';
import { parseJsonText } from './json-text.ts';

/**
 * The Coffer export file: a JSON text
 * `{format, version, kdf: {name, memoryKiB, passes, parallelism, salt}, cipher: {name, nonce}, data}`.
 * The key is Argon2id(passphrase NFKC, salt); `data` is AES-256-GCM(key, nonce, payload) with the
 * header bound in as associated data, so a changed parameter is detected like a changed byte.
 * Without the passphrase the file tells nothing but its size and parameters.
 */
export const EXPORT_FORMAT = 'coffer-export';
export const EXPORT_VERSION = 1;

export interface KdfParams {
  memoryKiB: number;
  passes: number;
}

/** What a file may ask of the server's memory and time on import (Argon2id floors as for logins). */
export interface KdfBounds {
  maxMemoryKiB: number;
}

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

const Header = Type.Object(
  {
    format: Type.Literal(EXPORT_FORMAT),
    version: Type.Literal(EXPORT_VERSION),
    kdf: Type.Object(
      {
        name: Type.Literal('argon2id'),
        memoryKiB: Type.Integer({ minimum: 19456, maximum: 4 * 1024 * 1024 }),
        passes: Type.Integer({ minimum: 2, maximum: 20 }),
        parallelism: Type.Literal(1),
        salt: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
      },
      { additionalProperties: false },
    ),
    cipher: Type.Object(
      { name: Type.Literal('aes-256-gcm'), nonce: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9+/]+={0,2}$' }) },
      { additionalProperties: false },
    ),
    data: Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$' }),
  },
  { additionalProperties: false },
);
type Header = Static<typeof Header>;

/** The decrypted payload. Paths are folder names below the exported node. */
const Payload = Type.Object(
  {
    format: Type.Literal('coffer-export-data'),
    version: Type.Literal(EXPORT_VERSION),
    exportedAt: Type.String({ maxLength: 40 }),
    folders: Type.Array(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 256 })),
    secrets: Type.Array(
      Type.Object(
        {
          name: Type.String({ maxLength: 300 }),
          path: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 256 }),
          template: Type.String({ minLength: 1, maxLength: 60 }),
          description: Type.String({ maxLength: 4000 }),
          tags: Type.Array(Type.String({ maxLength: 60 }), { maxItems: 50 }),
          color: Type.String({ maxLength: 20, pattern: '^[a-z0-9#-]*$' }),
          expiresAt: Type.Union([Type.Integer(), Type.Null()]),
          fields: Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 65536 })),
          customFields: Type.Array(
            Type.Object(
              { name: Type.String({ minLength: 1, maxLength: 100 }), type: FieldType, value: Type.String({ maxLength: 65536 }) },
              { additionalProperties: false },
            ),
            { maxItems: 1000 },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ExportPayload = Static<typeof Payload>;

const damaged = (message: string) =>
  new AppError('validation.failed', 'This is not a readable Coffer export file.', { details: [{ path: '/content', message }] });
const wrongPassphrase = () =>
  new AppError('validation.failed', 'The passphrase is wrong, or the export file was altered.', {
    details: [{ path: '/passphrase', message: 'wrong passphrase or altered file' }],
  });

function derive(passphrase: string, salt: Buffer, p: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: Buffer.from(passphrase.normalize('NFKC'), 'utf8'),
        nonce: salt,
        parallelism: 1,
        tagLength: KEY_BYTES,
        memory: p.memoryKiB,
        passes: p.passes,
      },
      (err, key) => (err ? reject(err) : resolve(Buffer.from(key))),
    );
  });
}

/** Runs the key derivation; the caller passes its concurrency gate (Argon2id is memory-hard). */
export type Gate = <T>(fn: () => Promise<T>) => Promise<T>;

function associatedData(h: Omit<Header, 'data'>): Buffer {
  return Buffer.from(
    JSON.stringify([
      h.format,
      h.version,
      h.kdf.name,
      h.kdf.memoryKiB,
      h.kdf.passes,
      h.kdf.parallelism,
      h.kdf.salt,
      h.cipher.name,
      h.cipher.nonce,
    ]),
  );
}

/** A sealer for one export: the key is derived up front (slow), the sealing itself is fast. */
export async function exportSealer(passphrase: string, params: KdfParams, gate: Gate) {
  const salt = randomBytes(SALT_BYTES);
  const key = await gate(() => derive(passphrase, salt, params));
  return {
    seal(payload: ExportPayload): string {
      const nonce = randomBytes(NONCE_BYTES);
      const header: Omit<Header, 'data'> = {
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        kdf: { name: 'argon2id', memoryKiB: params.memoryKiB, passes: params.passes, parallelism: 1, salt: salt.toString('base64') },
        cipher: { name: 'aes-256-gcm', nonce: nonce.toString('base64') },
      };
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(associatedData(header));
      const ct = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return JSON.stringify({ ...header, data: ct.toString('base64') });
    },
    wipe() {
      key.fill(0);
    },
  };
}

/**
 * Opens an export file. Refuses a file that asks for more Argon2id memory than `bounds` allows
 * before deriving anything. A wrong passphrase and an altered file give the same answer.
 */
export async function openExportFile(content: string, passphrase: string, bounds: KdfBounds, gate: Gate): Promise<ExportPayload> {
  const raw = parseJsonText(content, 'Coffer export');
  if (!Value.Check(Header, raw)) throw damaged('not a Coffer export file (or a version this server cannot read)');
  const h = raw as Header;
  if (h.kdf.memoryKiB > bounds.maxMemoryKiB) throw damaged('the key derivation asks for more memory than this server allows');
  const salt = Buffer.from(h.kdf.salt, 'base64');
  const nonce = Buffer.from(h.cipher.nonce, 'base64');
  const data = Buffer.from(h.data, 'base64');
  if (salt.length < SALT_BYTES || nonce.length !== NONCE_BYTES || data.length < TAG_BYTES) throw damaged('malformed header');
  const key = await gate(() => derive(passphrase, salt, { memoryKiB: h.kdf.memoryKiB, passes: h.kdf.passes }));
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(h));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw wrongPassphrase();
  } finally {
    key.fill(0);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(plain.toString('utf8'));
  } catch {
    throw damaged('the decrypted content is not JSON');
  } finally {
    plain.fill(0);
  }
  if (!Value.Check(Payload, payload)) throw damaged('the decrypted content has an unknown shape');
  return payload as ExportPayload;
}

/** The payload as entries to import (names and folder names made acceptable again, defensively). */
export function payloadEntries(p: ExportPayload): ParsedImport {
  const clean = (path: string[]) => path.map(folderSegment).filter((s): s is string => s !== null);
  const out: ParsedImport = { entries: [], folders: p.folders.map(clean).filter((f) => f.length > 0), skipped: [] };
  p.secrets.forEach((s, index) => {
    collect(
      out,
      finish(index, {
        name: s.name,
        folder: clean(s.path),
        template: s.template,
        fields: Object.fromEntries(Object.entries(s.fields)),
        custom: s.customFields,
        tags: s.tags,
        description: s.description,
        color: s.color,
        expiresAt: s.expiresAt,
      }),
    );
  });
  return out;
}
