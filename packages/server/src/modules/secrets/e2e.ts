// The E2E branch of the secrets use cases (ADR 0022): in an end-to-end encrypted vault a secret's
// value is a set of OpenPGP messages, one per reader, made by the clients. Create, update, share and
// reveal stay the same use cases (permissions, policy, workflow gate, audit); only where the value
// comes from and goes to differs. Everything that would need the server to read or make a value is
// refused with `secret.e2e_unsupported`.
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { TemplateField } from '@coffer/contracts/secrets';
import type { Executor, Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { e2eUnsupported, messageState, ownMessage, rotationRequired, writeMessages } from '../e2e/messages.ts';
import { readersOf } from '../e2e/readers.ts';
import type { Core } from './core.ts';
import type { SplitValues } from './secret-values.ts';

export function createE2e(core: Core) {
  const { clock } = core.deps;

  async function vaultEncryption(exec: Executor, vaultId: string): Promise<'server' | 'e2e'> {
    const v = await exec.selectFrom('vaults').select('encryption').where('id', '=', vaultId).executeTakeFirst();
    return v?.encryption === 'e2e' ? 'e2e' : 'server';
  }

  /** The template as an E2E write sees it: sensitive fields are never required (they are in the messages). */
  const clearOnly = (fields: TemplateField[]) => fields.map((f) => (f.sensitive ? { ...f, required: false } : f));

  /** A value in clear sent to an E2E secret is refused, never stored. */
  function refuseClearValues(values: SplitValues) {
    if (Object.keys(values.sensitive).length) {
      throw new AppError(
        'secret.e2e_unsupported',
        'This secret is in an end-to-end encrypted vault: send its value as OpenPGP messages (`messages`), never in clear.',
        { details: Object.keys(values.sensitive).map((f) => ({ path: `/fields/${f}`, message: 'sensitive values go in the messages' })) },
      );
    }
  }

  function refuseMessages(messages: SecretMessage[] | undefined) {
    if (messages?.length) {
      throw new AppError('validation.failed', 'Messages are for secrets in end-to-end encrypted vaults only.', {
        details: [{ path: '/messages', message: 'not an E2E vault' }],
      });
    }
  }

  /** A value format is for E2E secrets (and, on update, goes with new messages). */
  function refuseValueFormat(
    format: string | null | undefined,
    message = 'A value format is for secrets in end-to-end encrypted vaults only.',
  ) {
    if (format !== undefined && format !== null) {
      throw new AppError('validation.failed', message, { details: [{ path: '/valueFormat', message: 'not allowed here' }] });
    }
  }

  /** Checks and stores the messages of `s` (at its current place) for its readers. */
  async function write(trx: Trx, writer: string | null, s: SecretTable, messages: SecretMessage[] | undefined, mode: 'replace' | 'add') {
    const now = clock.now();
    const readers = await readersOf(trx, now, { secretId: s.id, parentNodeId: s.parent_node_id });
    await writeMessages(trx, { secretId: s.id, readers, messages: messages ?? [], mode, writer, now });
  }

  async function isRotationRequired(exec: Executor, s: SecretTable): Promise<boolean> {
    const readers = await readersOf(exec, clock.now(), { secretId: s.id, parentNodeId: s.parent_node_id });
    return rotationRequired(await messageState(exec, s.id), readers);
  }

  /** The caller's own message of an E2E secret; `secret.e2e_no_message` when none is for them. */
  async function ownMessageOf(exec: Executor, userId: string, s: SecretTable) {
    const own = await ownMessage(exec, s.id, userId);
    if (!own) {
      throw new AppError(
        'secret.e2e_no_message',
        'No message of this secret is encrypted for you yet: someone who can read it must re-encrypt it for its readers (coffer share, or the SDK).',
      );
    }
    return {
      messageId: own.id,
      messageCreatedAt: Number(own.created_at),
      messageUpdatedAt: Number(own.updated_at),
      message: own.message,
      writtenBy: own.written_by,
      writerKey: own.writer_key ?? null,
    };
  }

  /** What a reveal of an E2E secret hands out: the caller's own message, and whether the value must be rotated. */
  async function reveal(exec: Executor, userId: string, s: SecretTable) {
    const own = await ownMessageOf(exec, userId, s);
    return { ...own, rotationRequired: await isRotationRequired(exec, s) };
  }

  return {
    vaultEncryption,
    clearOnly,
    refuseClearValues,
    refuseMessages,
    refuseValueFormat,
    write,
    isRotationRequired,
    ownMessageOf,
    reveal,
    unsupported: e2eUnsupported,
  };
}
export type E2e = ReturnType<typeof createE2e>;
