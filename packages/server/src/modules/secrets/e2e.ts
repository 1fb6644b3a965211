// The E2E branch of the secrets use cases (ADR 0022): in an end-to-end encrypted vault a secret's
// value is a set of OpenPGP messages, one per reader, made by the clients. Create, update, share and
// reveal stay the same use cases (permissions, policy, workflow gate, audit); only where the value
// comes from and goes to differs. Everything that would need the server to read or make a value is
// refused with `secret.e2e_unsupported`. A vault of the 'master-password' scheme (Passwork's
// client-side encryption, ADR 0026) keeps one client ciphertext as the value instead of messages.
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { TemplateField } from '@coffer/contracts/secrets';
import type { Executor, Trx } from '../../db/database.ts';
import type { E2eScheme, SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { CLIENT_ENCRYPTED_TEMPLATE, checkClientValues, requireClientTemplate, SECRET_KIND } from '../e2e/master-password.ts';
import { e2eUnsupported, messageState, ownMessage, rotationRequired, writeMessages } from '../e2e/messages.ts';
import { readersOf } from '../e2e/readers.ts';
import type { Core } from './core.ts';
import type { SplitValues } from './secret-values.ts';

/** How a vault's (and so its secrets') values are kept: sealed by the server, or by an E2E scheme. */
export type ValueKind = 'server' | E2eScheme;

/** A secret's kind, from the `e2e` column it copied from its vault. */
export const kindOf = (s: Pick<SecretTable, 'e2e'>): ValueKind =>
  s.e2e === SECRET_KIND.masterPassword ? 'master-password' : s.e2e ? 'openpgp' : 'server';

export function createE2e(core: Core) {
  const { clock } = core.deps;

  async function vaultKind(exec: Executor, vaultId: string): Promise<ValueKind> {
    const v = await exec.selectFrom('vaults').select(['encryption', 'e2e_scheme']).where('id', '=', vaultId).executeTakeFirst();
    if (v?.encryption !== 'e2e') return 'server';
    return v.e2e_scheme === 'master-password' ? 'master-password' : 'openpgp';
  }

  /**
   * The value rules of a write of `kind`: OpenPGP secrets take no sensitive value in clear (their
   * value is in the messages); master-password secrets are client-encrypted items whose one value
   * is the client's ciphertext, with no messages; server secrets take no messages.
   */
  function checkValues(kind: ValueKind, values: SplitValues, opts: { template?: string; messages: SecretMessage[] | undefined }) {
    if (kind === 'openpgp') return refuseClearValues(values);
    refuseMessages(opts.messages);
    if (kind === 'master-password') {
      if (opts.template !== undefined) requireClientTemplate(opts.template);
      checkClientValues(values.sensitive);
    } else if (opts.template === CLIENT_ENCRYPTED_TEMPLATE) {
      throw new AppError('validation.failed', 'Client-encrypted items live in end-to-end encrypted vaults of the master-password scheme.', {
        details: [{ path: '/template', message: 'not in this vault' }],
      });
    }
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
    vaultKind,
    checkValues,
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
