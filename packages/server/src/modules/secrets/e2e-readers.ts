// The use cases only E2E secrets have (ADR 0022): who the readers are (with their public keys, so
// that a client can encrypt for each), and re-encrypting for readers who have no message yet (a
// grant on the vault or folder, a new group member) or whose key changed. Also the check of the
// messages a share or a grant on an E2E secret carries (a listener of the vaults' grant writes).
import type { SecretMessage } from '@coffer/contracts/e2e';
import type { Executor, Trx } from '../../db/database.ts';
import type { GrantTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { levelRank } from '../access/levels.ts';
import type { RequestContext } from '../auth/actor.ts';
import { SECRET_KIND } from '../e2e/master-password.ts';
import { messageState, rotationRequired } from '../e2e/messages.ts';
import { readersOf } from '../e2e/readers.ts';
import { presentKey } from '../e2e/user-keys.ts';
import type { Core } from './core.ts';
import { createE2e } from './e2e.ts';

// a master-password secret has one client ciphertext and no readers' messages (ADR 0026)
const notOpenpgp = () =>
  new AppError('conflict', "This secret is not in a vault end-to-end encrypted with OpenPGP: it has no readers' messages.");

export function createE2eReaders(core: Core) {
  const { deps, load } = core;
  const { clock, audited, vaults } = deps;
  const e2e = createE2e(core);

  async function describe(exec: Executor, readers: string[], state: Awaited<ReturnType<typeof messageState>>) {
    const users = readers.length ? await exec.selectFrom('users').select(['id', 'username']).where('id', 'in', readers).execute() : [];
    const keys = readers.length ? await exec.selectFrom('user_openpgp_keys').selectAll().where('user_id', 'in', readers).execute() : [];
    const names = new Map(users.map((u) => [u.id, u.username]));
    const keyOf = new Map(keys.map((k) => [k.user_id, k]));
    const held = new Map(state.map((m) => [m.user_id, m]));
    const items = readers.map((id) => {
      const key = keyOf.get(id);
      const m = held.get(id);
      return {
        userId: id,
        username: names.get(id) ?? '',
        key: key ? presentKey(key) : null,
        hasMessage: m !== undefined,
        stale: m !== undefined && m.key_fingerprint !== m.current,
      };
    });
    const r = new Set(readers);
    return {
      items,
      formerReaders: state.filter((m) => !r.has(m.user_id)).map((m) => m.user_id),
      rotationRequired: rotationRequired(state, readers),
    };
  }

  /** The readers of an E2E secret; needs `edit` (the writers encrypt for them). */
  async function readers(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.readers', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      const { s } = await load(trx, ctx, id, 'edit');
      if (s.e2e !== SECRET_KIND.openpgp) throw notOpenpgp();
      const list = await readersOf(trx, clock.now(), { secretId: s.id, parentNodeId: s.parent_node_id });
      return describe(trx, list, await messageState(trx, s.id));
    });
  }

  /** The readers a new secret in this vault or folder will have; needs `edit` there. */
  async function nodeReaders(ctx: RequestContext, vaultId: string, folderId: string | undefined) {
    return audited(ctx, { action: 'vault.readers', objectType: 'vault', objectId: vaultId, readOnly: true }, async (trx) => {
      const { parent, owned } = await core.placeOf(trx, ctx, vaultId, folderId);
      if ((await e2e.vaultKind(trx, vaultId)) !== 'openpgp')
        throw new AppError('conflict', 'This vault is not end-to-end encrypted with OpenPGP.');
      const list = await readersOf(trx, clock.now(), { parentNodeId: parent });
      // a personal item's creator is one of its readers (they get manage on it)
      if (owned && ctx.actor.userId && !list.includes(ctx.actor.userId)) list.push(ctx.actor.userId);
      return describe(trx, list.sort(), []);
    });
  }

  /** Messages for readers who lack one or whose key changed (the value stays): needs `edit`. */
  async function reencrypt(ctx: RequestContext, id: string, messages: SecretMessage[]) {
    return audited(ctx, { action: 'secret.reencrypt', objectType: 'secret', objectId: id }, async (trx, ev) => {
      const { s } = await load(trx, ctx, id, 'edit');
      if (s.e2e !== SECRET_KIND.openpgp) throw notOpenpgp();
      await e2e.write(trx, ctx.actor.userId, s, messages, 'add');
      ev.details = { readers: messages.map((m) => m.userId) };
      const list = await readersOf(trx, clock.now(), { secretId: s.id, parentNodeId: s.parent_node_id });
      return describe(trx, list, await messageState(trx, s.id));
    });
  }

  /** A grant written on an E2E secret (a share): each new reader needs a message, in the same transaction. */
  async function onGrant(trx: Trx, grant: GrantTable, messages: SecretMessage[] | undefined) {
    if (grant.node_type !== 'secret') return;
    const s = await trx.selectFrom('secrets').selectAll().where('id', '=', grant.node_id).executeTakeFirst();
    if (s?.e2e !== SECRET_KIND.openpgp) {
      e2e.refuseMessages(messages);
      return;
    }
    // a grant below reveal adds no reader; messages for anyone else are refused as for any write
    if (grant.level < levelRank.reveal && !messages?.length) return;
    await e2e.write(trx, grant.created_by, s, messages, 'add');
  }
  vaults.onGrantWritten(onGrant);

  return { readers, nodeReaders, reencrypt };
}
