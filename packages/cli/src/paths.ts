// CLI paths: `VAULT/FOLDER/.../SECRET`, resolved by name through the lookup API (what the caller
// cannot see answers like what does not exist). Folder names cannot hold `/` or `\`; in vault and
// secret names a `/` is written `\/` and a `\` is written `\\`. `id:<secret id>` names a secret by id.
import type { CofferClient, FolderRef, Secret } from '@coffer/sdk/client';
import { UsageError } from './cli.ts';
import { about } from './client.ts';

/** `a/b\/c/` -> ['a', 'b/c']; empty segments (leading, trailing, doubled slashes) are dropped. */
export function splitPath(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next !== '/' && next !== '\\') throw new UsageError(`in "${raw}": write a slash in a name as \\/ and a backslash as \\\\`);
      cur += next;
      i++;
    } else if (ch === '/') {
      if (cur.trim()) out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** Escapes a vault or secret name for a CLI path. */
export const escapeName = (name: string): string => name.replace(/\\/g, '\\\\').replace(/\//g, '\\/');

/** The CLI path of a folder (`/A/B` inside the vault) or of a secret in it. */
export function cliPath(vaultName: string, folderPath: string, secretName?: string): string {
  const folders = folderPath.split('/').filter(Boolean).join('/');
  return [escapeName(vaultName), ...(folders ? [folders] : []), ...(secretName !== undefined ? [escapeName(secretName)] : [])].join('/');
}

const ID = /^id:([a-z]{3}_[0-9a-z]{26})$/;

/** True when the argument names a secret by id (`id:sec_…`). */
export const isIdRef = (raw: string): boolean => ID.test(raw);

export interface ResolvedSecret {
  secret: Secret;
  etag: string;
  /** As the user typed it, for messages. */
  arg: string;
}

/** A secret by `VAULT/[FOLDER/...]NAME` or `id:ID`. */
export async function resolveSecret(client: CofferClient, raw: string): Promise<ResolvedSecret> {
  const m = ID.exec(raw);
  if (m) return { ...(await about(raw, client.secrets.get(m[1] as string))), arg: raw };
  const segs = splitPath(raw);
  if (segs.length < 2) throw new UsageError(`"${raw}" is not a secret path: write VAULT/[FOLDER/...]SECRET (or id:ID)`);
  const vault = segs[0] as string;
  const name = segs[segs.length - 1] as string;
  const folders = segs.slice(1, -1);
  const found = await about(raw, client.lookup.secret({ vault, path: `/${folders.join('/')}`, name }));
  return { ...found, arg: raw };
}

/** A vault (`VAULT`) or a folder (`VAULT/FOLDER/...`); `folderId` null is the vault top. */
export function resolveFolder(client: CofferClient, raw: string): Promise<FolderRef & { vaultName: string }> {
  return resolveFolderSegments(client, splitPath(raw), raw);
}

/** As resolveFolder, from split segments; `subject` names the path in messages. */
export async function resolveFolderSegments(
  client: CofferClient,
  segs: string[],
  subject: string,
): Promise<FolderRef & { vaultName: string }> {
  if (segs.length < 1) throw new UsageError(`"${subject}" is not a folder path: write VAULT[/FOLDER/...]`);
  const vault = segs[0] as string;
  const ref = await about(subject, client.lookup.folder({ vault, path: `/${segs.slice(1).join('/')}` }));
  return { ...ref, vaultName: vault };
}

/** Vault names by id, for printing paths (vaults you cannot see are missing). */
export async function vaultNames(client: CofferClient): Promise<Map<string, string>> {
  const page = await client.vaults.list();
  return new Map(page.items.map((v) => [v.id, v.name]));
}

/** The CLI path of a secret, or `id:ID` when its vault is not visible to the caller. */
export function secretCliPath(names: Map<string, string>, s: Pick<Secret, 'id' | 'vaultId' | 'path' | 'name'>): string {
  const vault = names.get(s.vaultId);
  return vault === undefined ? `id:${s.id}` : cliPath(vault, s.path, s.name);
}
