// PMP ids are strings of integers: each Coffer object's stable number (modules/numbering).
import { AppError } from '../../lib/app-error.ts';
import type { PmpDeps } from './deps.ts';

type Numbers = Pick<PmpDeps, 'db' | 'numbering'>;

const missing = (reason: string, message: string) => new AppError('not_found', message, { reason });

/** Numbers remembered per process: a number names one object forever (never reused), so a cached
 * answer never goes stale; a deleted object's number still names it, and the service says it is gone. */
const CACHE_SIZE = 50_000;

export function createIds(deps: Numbers) {
  const { db, numbering } = deps;
  const cache = new Map<string, string>();

  async function idOf(kind: 'folder' | 'vault' | 'secret' | 'user', num: string): Promise<string | undefined> {
    const key = `${kind}:${num}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const id = await numbering.idOf(db, kind, num);
    if (id) {
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(key, id);
    }
    return id;
  }

  /** A resource is a folder, or a vault for the secrets at its top. */
  async function resourceNode(num: string): Promise<string> {
    const id = (await idOf('folder', num)) ?? (await idOf('vault', num));
    if (!id) throw missing('resource', 'No such resource.');
    return id;
  }

  async function secret(num: string): Promise<string> {
    const id = await idOf('secret', num);
    if (!id) throw missing('account', 'No such account.');
    return id;
  }

  async function user(num: string): Promise<string> {
    const id = await idOf('user', num);
    if (!id) throw missing('user', 'No such user.');
    return id;
  }

  /** The number of a vault or folder, as a resource id. */
  async function ofNode(nodeId: string): Promise<string> {
    return String(await numbering.numberOf(db, nodeId.startsWith('vlt_') ? 'vault' : 'folder', nodeId));
  }

  async function ofSecrets(ids: string[]): Promise<Map<string, string>> {
    const m = await numbering.numbersOf(db, 'secret', ids);
    return new Map([...m].map(([k, v]) => [k, String(v)]));
  }

  async function ofNodes(ids: string[]): Promise<Map<string, string>> {
    const vaults = await numbering.numbersOf(
      db,
      'vault',
      ids.filter((i) => i.startsWith('vlt_')),
    );
    const folders = await numbering.numbersOf(
      db,
      'folder',
      ids.filter((i) => !i.startsWith('vlt_')),
    );
    return new Map([...vaults, ...folders].map(([k, v]) => [k, String(v)]));
  }

  return {
    resourceNode,
    secret,
    user,
    ofNode,
    ofNodes,
    ofSecret: async (id: string) => String(await numbering.numberOf(db, 'secret', id)),
    ofSecrets,
    ofUser: async (id: string) => String(await numbering.numberOf(db, 'user', id)),
  };
}
export type Ids = ReturnType<typeof createIds>;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** PMP's dates: `Dec 1, 2021 09:00 PM` (UTC here). */
export function pmpDate(at: string | number | null | undefined): string {
  if (at === null || at === undefined) return 'N/A';
  const d = new Date(typeof at === 'number' ? at : Date.parse(at));
  if (Number.isNaN(d.getTime())) return 'N/A';
  const h = d.getUTCHours();
  const hh = String(h % 12 === 0 ? 12 : h % 12).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${hh}:${mm} ${h < 12 ? 'AM' : 'PM'}`;
}
