// Secret Server ids are integers: each Coffer object's stable number (modules/numbering). A vault
// is a top folder, so a folder id names a vault or a folder (one number space: never both).
import { AppError } from '../../lib/app-error.ts';
import type { NumberedKind } from '../../modules/numbering/numbering.service.ts';
import type { SecretServerDeps } from './deps.ts';

/** Unknown and forbidden ids answer alike (400 Access Denied, errors.ts). */
export const missing = (what: string) => new AppError('not_found', `No such ${what}.`);

export function createIds(deps: Pick<SecretServerDeps, 'db' | 'numbering'>) {
  const { db, numbering } = deps;

  const idOf = (kind: NumberedKind, num: number | string) => numbering.idOf(db, kind, String(num));

  async function secret(num: number | string): Promise<string> {
    const id = await idOf('secret', num);
    if (!id) throw missing('secret');
    return id;
  }

  /** A folder id: a Coffer folder, or a vault (a top folder). */
  async function node(num: number | string): Promise<{ type: 'vault' | 'folder'; id: string }> {
    const folder = await idOf('folder', num);
    if (folder) return { type: 'folder', id: folder };
    const vault = await idOf('vault', num);
    if (vault) return { type: 'vault', id: vault };
    throw missing('folder');
  }

  async function user(num: number | string): Promise<string> {
    const id = await idOf('user', num);
    if (!id) throw missing('user');
    return id;
  }

  const number = (kind: NumberedKind, id: string) => numbering.numberOf(db, kind, id);
  async function numbers(kind: NumberedKind, ids: string[]): Promise<Map<string, number>> {
    return numbering.numbersOf(db, kind, ids);
  }
  /** The number of a vault or folder. */
  const ofNode = (id: string) => number(id.startsWith('vlt_') ? 'vault' : 'folder', id);
  async function ofNodes(ids: string[]): Promise<Map<string, number>> {
    const vaults = await numbers(
      'vault',
      ids.filter((i) => i.startsWith('vlt_')),
    );
    const folders = await numbers(
      'folder',
      ids.filter((i) => !i.startsWith('vlt_')),
    );
    return new Map([...vaults, ...folders]);
  }

  return { idOf, secret, node, user, number, numbers, ofNode, ofNodes };
}
export type Ids = ReturnType<typeof createIds>;

/** Secret Server's dates: ISO 8601 without a zone (UTC here), `0001-01-01T00:00:00` for never. */
export const NEVER = '0001-01-01T00:00:00';
export function ssDate(at: string | number | null | undefined): string {
  if (at === null || at === undefined) return NEVER;
  const d = new Date(typeof at === 'number' ? at : Date.parse(at));
  if (Number.isNaN(d.getTime())) return NEVER;
  return d.toISOString().replace(/Z$/, '');
}
