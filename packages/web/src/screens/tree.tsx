// The vault tree: vaults, then folders loaded when a node is expanded. Folders move by drag and
// drop (mouse, or React Aria's keyboard drag: Enter on the drag handle, Tab to a target, Enter).
// On a folder's page the path down to it is expanded (its vault and every folder above it, from
// GET /folders/:id/ancestors), so the current folder is in view after a direct load of a deep URL.
import type { Folder, Vault } from '@coffer/sdk/client';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Button as AriaButton, Collection, type Key, Tree, TreeItem, TreeItemContent, useDragAndDrop } from 'react-aria-components';
import { errorText } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { folderAncestorsQuery, foldersQuery, vaultsQuery } from '../lib/queries.ts';
import { useLocation } from '../lib/router.tsx';

export const FOLDER_TYPE = 'application/x-coffer-folder';

interface Node {
  id: string;
  kind: 'vault' | 'folder';
  vaultId: string;
  folderId: string | null;
  name: string;
  href: string;
  children: Node[] | null;
}

const vaultKey = (v: string) => `v:${v}`;
const folderKey = (v: string, f: string) => `f:${v}:${f}`;
function parseKey(k: string): { vaultId: string; folderId: string | null } {
  const [kind, v, f] = k.split(':');
  return { vaultId: v!, folderId: kind === 'f' ? f! : null };
}

/** The vault and folder of a browse URL (`/vaults/:v` or `/vaults/:v/folders/:f`). */
function browsed(loc: string): { vaultId: string; folderId: string | null } | null {
  const m = /^\/vaults\/([^/?]+)(?:\/folders\/([^/?]+))?/.exec(loc);
  return m ? { vaultId: decodeURIComponent(m[1]!), folderId: m[2] ? decodeURIComponent(m[2]) : null } : null;
}

/**
 * The folders above the current one, top down, in one request made together with the page's own
 * (lib/prefetch.tsx starts it with them); it brings their child lists along (lib/queries.ts), so
 * the path to any folder is open within the screen's two request levels.
 */
function useAncestors(vaultId: string, folderId: string | null): string[] {
  const q = useQuery({ ...folderAncestorsQuery(vaultId, folderId ?? ''), enabled: folderId !== null });
  return folderId && q.data ? q.data.items.map((f) => f.id) : [];
}

export function VaultTree() {
  const qc = useQueryClient();
  const loc = useLocation();
  const vaults = useQuery(vaultsQuery);
  const here = browsed(loc);
  const [expanded, setExpanded] = useState<Set<Key>>(() => new Set(here ? [vaultKey(here.vaultId)] : []));
  const ancestors = useAncestors(here?.vaultId ?? '', here?.folderId ?? null);
  const pathKeys = here ? [vaultKey(here.vaultId), ...ancestors.map((a) => folderKey(here.vaultId, a))].join(' ') : '';
  // the path to the page's folder is expanded whenever it changes (what the user collapsed elsewhere stays so)
  useEffect(() => {
    if (!pathKeys) return;
    setExpanded((prev) => {
      const keys = pathKeys.split(' ');
      if (keys.every((k) => prev.has(k))) return prev;
      return new Set([...prev, ...keys]);
    });
  }, [pathKeys]);
  const [dropError, setDropError] = useState<string | null>(null);
  const expandedList = [...expanded].map(String);
  const childQueries = useQueries({
    queries: expandedList.map((k) => {
      const { vaultId, folderId } = parseKey(k);
      return foldersQuery(vaultId, folderId);
    }),
  });
  const childrenOf = new Map<string, Folder[]>();
  expandedList.forEach((k, i) => {
    const d = childQueries[i]?.data;
    if (d) childrenOf.set(k, d.items);
  });

  const build = (vaultId: string, f: Folder): Node => {
    const key = folderKey(vaultId, f.id);
    const kids = childrenOf.get(key);
    return {
      id: key,
      kind: 'folder',
      vaultId,
      folderId: f.id,
      name: f.name,
      href: `/vaults/${encodeURIComponent(vaultId)}/folders/${encodeURIComponent(f.id)}`,
      children: kids ? kids.map((c) => build(vaultId, c)) : null,
    };
  };
  const items: Node[] = (vaults.data?.items ?? []).map((v: Vault) => {
    const key = vaultKey(v.id);
    const kids = childrenOf.get(key);
    return {
      id: key,
      kind: 'vault',
      vaultId: v.id,
      folderId: null,
      name: v.name,
      href: `/vaults/${encodeURIComponent(v.id)}`,
      children: kids ? kids.map((c) => build(v.id, c)) : null,
    };
  });

  const { dragAndDropHooks } = useDragAndDrop<Node>({
    getItems: (keys) =>
      [...keys].filter((k) => String(k).startsWith('f:')).map((k) => ({ [FOLDER_TYPE]: String(k), 'text/plain': String(k) })),
    acceptedDragTypes: [FOLDER_TYPE],
    getDropOperation: (target) => (target.type === 'item' && target.dropPosition === 'on' ? 'move' : 'cancel'),
    onItemDrop: async (e) => {
      if (e.target.dropPosition !== 'on') return;
      const to = parseKey(String(e.target.key));
      setDropError(null);
      for (const item of e.items) {
        if (item.kind !== 'text') continue;
        const from = parseKey(await item.getText(FOLDER_TYPE));
        if (!from.folderId || from.folderId === to.folderId) continue;
        try {
          await api.folders.update(from.folderId, {
            parentId: to.folderId,
            ...(from.vaultId !== to.vaultId ? { vaultId: to.vaultId } : {}),
          });
        } catch (err) {
          setDropError(errorText(err));
        }
      }
      await qc.invalidateQueries({ queryKey: ['folders'] });
    },
  });

  const selected = useMemo(() => {
    const b = browsed(loc);
    if (!b) return new Set<Key>();
    return new Set<Key>([b.folderId ? folderKey(b.vaultId, b.folderId) : vaultKey(b.vaultId)]);
  }, [loc]);

  if (vaults.isError) return <p className="tree-error">Vaults could not be loaded: {errorText(vaults.error)}</p>;
  return (
    <div className="tree-wrap">
      <h2 className="tree-title" id="tree-title">
        Vaults and folders
      </h2>
      {dropError && (
        <p className="form-error" role="alert">
          {dropError}
        </p>
      )}
      <Tree
        aria-labelledby="tree-title"
        className="tree"
        items={items}
        expandedKeys={expanded}
        onExpandedChange={setExpanded}
        selectionMode="single"
        selectionBehavior="replace"
        selectedKeys={selected}
        dragAndDropHooks={dragAndDropHooks}
        renderEmptyState={() => <span className="muted">{vaults.isPending ? 'Loading…' : 'No vaults yet'}</span>}
      >
        {function renderItem(n: Node) {
          return (
            <TreeItem
              id={n.id}
              textValue={n.name}
              href={n.href}
              className="tree-item"
              hasChildItems={n.children === null || n.children.length > 0}
            >
              <TreeItemContent>
                {({ hasChildItems, isExpanded, allowsDragging }) => (
                  <div className="tree-row">
                    {allowsDragging && n.kind === 'folder' && (
                      <AriaButton slot="drag" className="drag-handle" aria-label={`Move ${n.name}`}>
                        ⠿
                      </AriaButton>
                    )}
                    {hasChildItems ? (
                      <AriaButton slot="chevron" className="chevron" aria-label={isExpanded ? 'Collapse' : 'Expand'}>
                        {isExpanded ? '▾' : '▸'}
                      </AriaButton>
                    ) : (
                      <span className="chevron" aria-hidden="true" />
                    )}
                    <span className={`tree-icon ${n.kind}`} aria-hidden="true" />
                    <span className="tree-name">{n.name}</span>
                  </div>
                )}
              </TreeItemContent>
              {n.children && <Collection items={n.children}>{renderItem}</Collection>}
            </TreeItem>
          );
        }}
      </Tree>
    </div>
  );
}
