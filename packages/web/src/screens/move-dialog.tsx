// "Move to…" by menu: pick a vault, then walk down its folders to the target.
import type { Folder } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Empty, ErrorState, Loading, Modalog, SelectField } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { foldersQuery, vaultsQuery } from '../lib/queries.ts';

interface Step {
  id: string;
  name: string;
}

/** Picks a destination folder (or a vault's top: folderId null). */
export function FolderPicker({ onPick, exclude }: { onPick: (vaultId: string, folderId: string | null) => void; exclude?: string }) {
  const vaults = useQuery(vaultsQuery);
  const [vaultId, setVaultId] = useState<string | null>(null);
  const [trail, setTrail] = useState<Step[]>([]);
  const here = trail.at(-1)?.id ?? null;
  const children = useQuery({ ...foldersQuery(vaultId ?? '', here), enabled: vaultId !== null });
  if (vaults.isPending) return <Loading />;
  if (vaults.isError) return <ErrorState error={vaults.error} />;
  return (
    <div className="stack">
      <SelectField
        label="Vault"
        options={vaults.data.items.map((v) => ({ id: v.id, label: v.name }))}
        value={vaultId}
        onChange={(v) => {
          setVaultId(v);
          setTrail([]);
          onPick(v, null);
        }}
      />
      {vaultId && (
        <>
          <p>
            Destination: <strong>/{trail.map((s) => s.name).join('/')}</strong>
          </p>
          {trail.length > 0 && (
            <Button
              variant="quiet"
              onPress={() => {
                const t = trail.slice(0, -1);
                setTrail(t);
                onPick(vaultId, t.at(-1)?.id ?? null);
              }}
            >
              ↑ Up one level
            </Button>
          )}
          {children.isPending && <Loading />}
          {children.data && children.data.items.length === 0 && <Empty>No folders below.</Empty>}
          <ul className="picker-list">
            {children.data?.items
              .filter((c: Folder) => c.id !== exclude)
              .map((c: Folder) => (
                <li key={c.id}>
                  <Button
                    variant="quiet"
                    onPress={() => {
                      setTrail([...trail, { id: c.id, name: c.name }]);
                      onPick(vaultId, c.id);
                    }}
                  >
                    📁 {c.name}
                  </Button>
                </li>
              ))}
          </ul>
        </>
      )}
    </div>
  );
}

export function MoveFolderDialog({ folder, onClose }: { folder: Folder; onClose: () => void }) {
  const qc = useQueryClient();
  const [to, setTo] = useState<{ vaultId: string; folderId: string | null } | null>(null);
  const m = useMutation({
    mutationFn: () =>
      api.folders.update(folder.id, { parentId: to!.folderId, ...(to!.vaultId !== folder.vaultId ? { vaultId: to!.vaultId } : {}) }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['folders'] });
      await qc.invalidateQueries({ queryKey: ['folder', folder.id] });
      onClose();
    },
  });
  return (
    <Modalog title={`Move “${folder.name}”`} isOpen onClose={onClose}>
      <FolderPicker onPick={(vaultId, folderId) => setTo({ vaultId, folderId })} exclude={folder.id} />
      {m.error && <ErrorState error={m.error} />}
      <div className="dialog-actions">
        <Button onPress={onClose}>Cancel</Button>
        <Button variant="primary" isDisabled={!to} onPress={() => m.mutate()} isPending={m.isPending}>
          Move here
        </Button>
      </div>
    </Modalog>
  );
}
