// What the import and export use cases share: their dependencies, the batch size, and the
// vault or folder they work on (visibility and level checked). No use case lives here.
import type { Db, Executor } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Access } from '../access/access.service.ts';
import { levelRank } from '../access/levels.ts';
import type { AuditLog, createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { SealManager } from '../sys/seal.ts';
import type { VaultsService } from '../vaults/vaults.service.ts';
import type { Gate, KdfParams } from './export-file.ts';
import type { ImportTarget } from './folder-planner.ts';

/** Rows per multi-row INSERT: well under SQLite's 32766 and PostgreSQL's 65535 bound parameters. */
export const BATCH = 500;

export interface TransferDeps {
  db: Db;
  clock: Clock;
  seal: Pick<SealManager, 'decrypt' | 'requireKeys' | 'reloadKeyring'>;
  access: Access;
  vaults: Pick<VaultsService, 'requireNode' | 'seesInside' | 'requireVisibleVault'>;
  secrets: Pick<SecretsService, 'effectivePolicy' | 'gateReveal' | 'overwrite'>;
  audited: ReturnType<typeof createAudited>;
  audit: Pick<AuditLog, 'append'>;
  /** Argon2id parameters of new export files, the most memory a file may ask for, and the hashing gate. */
  kdf: { params: KdfParams; maxMemoryKiB: number; gate: Gate };
}

export function createCore(deps: TransferDeps) {
  const { access, vaults } = deps;

  /** The vault or folder to import into / export from; 404 unless visible, 403 below `need`. */
  async function target(exec: Executor, ctx: RequestContext, vaultId: string, folderId: string | null | undefined, need: 'edit' | 'list') {
    const vault = await exec.selectFrom('vaults').select('id').where('id', '=', vaultId).executeTakeFirst();
    if (!vault) throw new AppError('not_found', 'No such vault.');
    const t: ImportTarget = { vaultId, nodeId: vaultId, type: 'vault', path: '', depth: 0 };
    if (folderId) {
      await vaults.requireVisibleVault(exec, ctx, vaultId);
      const f = await exec.selectFrom('folders').select(['id', 'vault_id', 'path', 'depth']).where('id', '=', folderId).executeTakeFirst();
      if (!f || f.vault_id !== vaultId) throw new AppError('not_found', 'No such folder.');
      Object.assign(t, { nodeId: f.id, type: 'folder', path: f.path, depth: f.depth });
    }
    if (need === 'edit') {
      await vaults.requireNode(exec, ctx, t.nodeId, 'edit', t.type);
    } else {
      const level = await access.nodeLevel(exec, ctx.actor, t.nodeId);
      if (level < levelRank.list && !(await vaults.seesInside(exec, ctx, t.nodeId))) throw new AppError('not_found', `No such ${t.type}.`);
    }
    return t;
  }

  return { deps, target };
}
export type Core = ReturnType<typeof createCore>;
