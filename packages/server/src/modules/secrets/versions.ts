// A secret's versions: the history (names of changed fields, never values) and restoring an old
// version as a new one, files included. Revealing an old version's values is in reveal.ts.
import type { Trx } from '../../db/database.ts';
import type { SecretTable } from '../../db/schema.ts';
import { AppError } from '../../lib/app-error.ts';
import { archiveAttachment, liveAttachments, unarchiveAttachment } from '../attachments/attachment-store.ts';
import type { RequestContext } from '../auth/actor.ts';
import { type ClearFields, type Core, rowFrom, versionBinding } from './core.ts';
import type { SplitValues } from './secret-values.ts';
import { present, presentHistory } from './secrets.presenter.ts';
import * as repo from './secrets.repository.ts';

export function createVersions(core: Core) {
  const { deps, templateOf, pathOf, load, writeValues, writeVersion, replaceTags } = core;
  const { clock, seal, access, audited } = deps;

  async function history(ctx: RequestContext, id: string) {
    return audited(ctx, { action: 'secret.history', objectType: 'secret', objectId: id, readOnly: true }, async (trx) => {
      await load(trx, ctx, id, 'view');
      return presentHistory(await repo.versionRows(trx, id));
    });
  }

  async function restoreVersion(ctx: RequestContext, id: string, version: number, ifMatch?: number) {
    return audited(ctx, { action: 'secret.restore_version', objectType: 'secret', objectId: id }, async (trx, ev) => {
      const { s } = await load(trx, ctx, id, 'edit');
      if (ifMatch !== undefined && ifMatch !== s.version)
        throw new AppError('precondition_failed', `The secret changed (now version ${s.version}).`);
      const v = await repo.versionRow(trx, id, version);
      if (!v) throw new AppError('not_found', 'No such version.');
      const snap = JSON.parse(v.snapshot) as {
        name: string;
        username: string;
        host: string;
        url: string;
        description: string;
        tags: string[];
        color: string;
        expiresAt: number | null;
        clear: ClearFields;
        /** Absent in versions written before migration 0007: their restore leaves the files as they are. */
        attachments?: Array<{ id: string; name: string }>;
      };
      const sensitive = v.values_enc
        ? (JSON.parse((await seal.decrypt(trx, versionBinding(id, version), v.values_enc)).toString('utf8')) as Record<string, string>)
        : {};
      const values: SplitValues = {
        username: snap.username,
        host: snap.host,
        url: snap.url,
        clear: snap.clear.values,
        custom: snap.clear.custom,
        sensitive,
      };
      const now = clock.now();
      const fields = (await templateOf(trx, s.template_id)).fields;
      const base: SecretTable = {
        ...s,
        name: snap.name,
        description: snap.description,
        tags: JSON.stringify(snap.tags),
        color: snap.color,
        expires_at: snap.expiresAt,
        version: s.version + 1,
        updated_at: now,
      };
      const row = rowFrom(base, values, await pathOf(trx, s), fields);
      if ((await repo.updateIfVersion(trx, row, s.version)) !== 1)
        throw new AppError('precondition_failed', 'The secret changed concurrently.');
      await replaceTags(trx, id, snap.tags);
      await writeValues(trx, id, values);
      const files = snap.attachments ? await restoreAttachments(trx, ctx, id, snap.attachments, now) : null;
      await writeVersion(trx, ctx, row, values, `restore:${version}`, ['*']);
      ev.details = { restoredVersion: version, version: row.version, ...(files ? { attachments: files } : {}) };
      return present(trx, row, await access.secretLevel(trx, ctx.actor, row), false);
    });
  }

  /**
   * Makes the secret's files those of a version: files added since are set aside (kept, like
   * versions), files removed since come back. A file that can no longer be found is counted as
   * missing; the restore goes on.
   */
  async function restoreAttachments(trx: Trx, ctx: RequestContext, id: string, want: Array<{ id: string; name: string }>, now: number) {
    const wanted = new Set(want.map((a) => a.id));
    const live = await liveAttachments(trx, id);
    const liveIds = new Set(live.map((a) => a.id));
    let setAside = 0;
    let restored = 0;
    let missing = 0;
    for (const a of live) {
      if (wanted.has(a.id)) continue;
      await archiveAttachment(trx, a.id, ctx.actor.userId, now);
      setAside++;
    }
    for (const a of want) {
      if (liveIds.has(a.id)) continue;
      if (await unarchiveAttachment(trx, id, a.id)) restored++;
      else missing++;
    }
    return { restored, setAside, missing };
  }

  return { history, restoreVersion };
}
