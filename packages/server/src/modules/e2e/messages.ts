// The messages of E2E secrets (ADR 0022): checked against the readers and their registered keys,
// written as sent, handed out one per caller; whether a secret needs its value changed because a
// reader left or replaced their key since it was written.
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { Executor, Trx } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { SecretMessageTable } from '../../db/schema-e2e.ts';
import { AppError, type ErrorDetail } from '../../lib/app-error.ts';
import { newId } from '../../lib/ids.ts';
import { messageProblem } from './openpgp-checks.ts';
import { keysOf } from './user-keys.ts';

export const e2eUnsupported = (what: string) =>
  new AppError(
    'secret.e2e_unsupported',
    `${what} is not possible in an end-to-end encrypted vault: the server cannot read or write its values.`,
  );

/**
 * Checks `messages` for the secret's `readers` and writes them. `mode`:
 * - `replace` (a new value): one message for each reader exactly, nothing else; the old ones go;
 * - `add` (a share, a re-encryption for new readers, a write that keeps the value): each message is
 *   for a reader; after adding them every reader holds one.
 * Refused with `secret.e2e_readers_mismatch` naming the readers without a message (and users given
 * one who are no readers), or `secret.e2e_message_invalid` naming the messages that are not for
 * their reader's registered key.
 */
export async function writeMessages(
  trx: Trx,
  opts: { secretId: string; readers: string[]; messages: SecretMessage[]; mode: 'replace' | 'add'; writer: string | null; now: number },
): Promise<void> {
  const { secretId, readers, messages, mode } = opts;
  const readerSet = new Set(readers);
  const given = new Map<string, string>();
  const details: ErrorDetail[] = [];
  messages.forEach((m, i) => {
    if (given.has(m.userId)) details.push({ path: `/messages/${i}/userId`, message: 'appears twice' });
    given.set(m.userId, m.message);
  });
  if (details.length) throw new AppError('validation.failed', 'Some messages are invalid.', { details });
  const existing =
    mode === 'add'
      ? new Set(
          (await trx.selectFrom('secret_messages').select('user_id').where('secret_id', '=', secretId).execute()).map((r) => r.user_id),
        )
      : new Set<string>();
  const missing = readers.filter((r) => !given.has(r) && !existing.has(r));
  const extra = [...given.keys()].filter((u) => !readerSet.has(u));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`no message for the readers ${missing.join(', ')}`);
    if (extra.length) parts.push(`messages for users who are not readers: ${extra.join(', ')}`);
    throw new AppError('secret.e2e_readers_mismatch', `The messages must be exactly one for each reader: ${parts.join('; ')}.`, {
      details: [
        ...missing.map((u) => ({ path: '/messages', message: `missing for ${u}` })),
        ...extra.map((u) => ({ path: '/messages', message: `not a reader: ${u}` })),
      ],
    });
  }
  const keys = await keysOf(trx, [...given.keys()]);
  const bad: ErrorDetail[] = [];
  const index = new Map(messages.map((m, i) => [m.userId, i]));
  for (const [userId, message] of given) {
    const key = keys.get(userId);
    const path = `/messages/${index.get(userId)}/message`;
    if (!key) {
      bad.push({ path, message: `${userId} has no registered OpenPGP key` });
      continue;
    }
    const problem = await messageProblem(message, key.encryptionKeyIds);
    if (problem) bad.push({ path, message: problem });
  }
  if (bad.length)
    throw new AppError('secret.e2e_message_invalid', 'Some messages are not OpenPGP messages for their reader.', { details: bad });
  if (mode === 'replace') await trx.deleteFrom('secret_messages').where('secret_id', '=', secretId).execute();
  else if (given.size)
    await trx
      .deleteFrom('secret_messages')
      .where('secret_id', '=', secretId)
      .where('user_id', 'in', [...given.keys()])
      .execute();
  const rows: SecretMessageTable[] = [...given].map(([userId, message]) => ({
    id: newId('msg', opts.now),
    secret_id: secretId,
    user_id: userId,
    message,
    key_fingerprint: (keys.get(userId) as { fingerprint: string }).fingerprint,
    written_by: opts.writer,
    created_at: opts.now,
    updated_at: opts.now,
  }));
  if (rows.length) await trx.insertInto('secret_messages').values(rows).execute();
}

/** The caller's own message of a secret, with its writer's current key (null: none stored). */
/** The caller's message and its writer's key: on the reveal path, so built once (db/prepared.ts). */
const ownMessageQuery = prepared<'secret' | 'user', OwnMessageRow>((db, p) =>
  db
    .selectFrom('secret_messages as m')
    .leftJoin('user_openpgp_keys as k', 'k.user_id', 'm.written_by')
    .select(['m.id', 'm.message', 'm.written_by', 'm.key_fingerprint', 'm.created_at', 'm.updated_at', 'k.armored_key as writer_key'])
    .where('m.secret_id', '=', p('secret'))
    .where('m.user_id', '=', p('user')),
);

interface OwnMessageRow {
  id: string;
  message: string;
  written_by: string | null;
  key_fingerprint: string;
  created_at: number;
  updated_at: number;
  writer_key: string | null;
}

export async function ownMessage(exec: Executor, secretId: string, userId: string): Promise<OwnMessageRow | null> {
  const [row] = await ownMessageQuery(exec, { secret: secretId, user: userId });
  return row ?? null;
}

/** Per user holding a message: the key fingerprint it was written for, and the user's key now. */
export async function messageState(exec: Executor, secretId: string) {
  return exec
    .selectFrom('secret_messages as m')
    .leftJoin('user_openpgp_keys as k', 'k.user_id', 'm.user_id')
    .select(['m.user_id', 'm.key_fingerprint', 'k.fingerprint as current'])
    .where('m.secret_id', '=', secretId)
    .execute();
}

/** A reader left (their message is for someone who may no longer read) or a reader's key changed. */
export function rotationRequired(state: Awaited<ReturnType<typeof messageState>>, readers: string[]): boolean {
  const r = new Set(readers);
  return state.some((m) => !r.has(m.user_id) || m.current !== m.key_fingerprint);
}
