import type { Secret } from '@coffer/sdk/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, ErrorState, Modalog } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { navigate } from '../../lib/router.tsx';
import { FolderPicker } from '../move-dialog.tsx';

export function MoveSecretDialog({ secret, onClose }: { secret: Secret; onClose: () => void }) {
  const qc = useQueryClient();
  const [to, setTo] = useState<{ vaultId: string; folderId: string | null } | null>(null);
  const m = useMutation({
    mutationFn: () =>
      api.secrets.update(secret.id, { folderId: to!.folderId, ...(to!.vaultId !== secret.vaultId ? { vaultId: to!.vaultId } : {}) }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['secret', secret.id] });
      await qc.invalidateQueries({ queryKey: ['secrets'] });
      onClose();
    },
  });
  return (
    <Modalog title={`Move “${secret.name}”`} isOpen onClose={onClose}>
      <FolderPicker onPick={(vaultId, folderId) => setTo({ vaultId, folderId })} />
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

export function TrashSecretDialog({ secret, onClose }: { secret: Secret; onClose: () => void }) {
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => api.secrets.trash(secret.id),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['secrets'] });
      onClose();
      navigate(
        secret.folderId
          ? `/vaults/${encodeURIComponent(secret.vaultId)}/folders/${encodeURIComponent(secret.folderId)}`
          : `/vaults/${encodeURIComponent(secret.vaultId)}`,
      );
    },
  });
  return (
    <Modalog title="Move to trash" isOpen onClose={onClose} role="alertdialog">
      <p>Move “{secret.name}” to the trash? It can be restored from there.</p>
      {m.error && <ErrorState error={m.error} />}
      <div className="dialog-actions">
        <Button onPress={onClose}>Cancel</Button>
        <Button variant="danger" onPress={() => m.mutate()} isPending={m.isPending}>
          Move to trash
        </Button>
      </div>
    </Modalog>
  );
}
