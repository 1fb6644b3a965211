// The access policy of a vault or folder: reason, approval, checkout, time window, password
// generation. Parts left unset inherit from above.
import type { AccessPolicy, Approver } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Checkbox, Empty, ErrorState, Field, Loading } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { FolderPicker } from '../move-dialog.tsx';

export function PoliciesPanel() {
  const [target, setTarget] = useState<{ vaultId: string; folderId: string | null } | null>(null);
  return (
    <div className="grid-2">
      <section className="stack" aria-labelledby="policy-node">
        <h2 id="policy-node">Vault or folder</h2>
        <FolderPicker onPick={(vaultId, folderId) => setTarget({ vaultId, folderId })} />
      </section>
      <section className="stack" aria-labelledby="policy-edit">
        <h2 id="policy-edit">Policy</h2>
        {target ? <PolicyEditor key={`${target.vaultId}/${target.folderId}`} {...target} /> : <Empty>Choose a vault or folder.</Empty>}
      </section>
    </div>
  );
}

function PolicyEditor({ vaultId, folderId }: { vaultId: string; folderId: string | null }) {
  const qc = useQueryClient();
  const node = useQuery({
    queryKey: folderId ? ['folder', folderId] : ['vault', vaultId],
    queryFn: async (): Promise<{ name: string; policy: AccessPolicy }> => (folderId ? api.folders.get(folderId) : api.vaults.get(vaultId)),
  });
  const [p, setP] = useState<AccessPolicy>({});
  const [approvers, setApprovers] = useState('');
  useEffect(() => {
    if (node.data) setP(node.data.policy);
  }, [node.data]);
  const save = useMutation({
    mutationFn: async () => {
      const names = approvers
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const list: Approver[] = [];
      for (const n of names) list.push({ type: 'user', id: (await api.users.lookup(n)).id });
      const policy: AccessPolicy = {
        ...p,
        ...(p.approval ? { approval: { ...p.approval, ...(names.length ? { approvers: list } : {}) } } : {}),
      };
      return folderId ? api.folders.update(folderId, { policy }) : api.vaults.update(vaultId, { policy });
    },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: folderId ? ['folder', folderId] : ['vault', vaultId] });
      await qc.invalidateQueries({ queryKey: ['access-policy'] });
    },
  });
  if (node.isPending) return <Loading />;
  if (node.isError) return <ErrorState error={node.error} />;
  const ap = p.approval ?? {};
  const co = p.checkout ?? {};
  return (
    <Form
      className="stack card"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <p>
        Policy of <strong>{node.data.name}</strong>
      </p>
      <Checkbox isSelected={p.requireReason ?? false} onChange={(v) => setP({ ...p, requireReason: v })}>
        Revealing needs a reason
      </Checkbox>
      <fieldset className="stack">
        <legend>Approval</legend>
        <Checkbox isSelected={ap.required ?? false} onChange={(v) => setP({ ...p, approval: { ...ap, required: v } })}>
          Revealing or checking out needs an approved request
        </Checkbox>
        <Field
          label="Approvals needed"
          value={String(ap.approvals ?? 1)}
          onChange={(v) => setP({ ...p, approval: { ...ap, approvals: Math.max(1, Number(v) || 1) } })}
          inputMode="numeric"
        />
        <Field
          label="Approvers (usernames, comma-separated)"
          description={`Now: ${(ap.approvers ?? []).length ? (ap.approvers ?? []).map((a) => a.id).join(', ') : 'users with manage access'}`}
          value={approvers}
          onChange={setApprovers}
        />
        <Checkbox isSelected={ap.ownersToo ?? false} onChange={(v) => setP({ ...p, approval: { ...ap, ownersToo: v } })}>
          Owners need approval too
        </Checkbox>
      </fieldset>
      <fieldset className="stack">
        <legend>Checkout</legend>
        <Checkbox isSelected={co.exclusive ?? false} onChange={(v) => setP({ ...p, checkout: { ...co, exclusive: v } })}>
          Exclusive checkout
        </Checkbox>
        <Field
          label="Longest checkout (minutes)"
          value={String(co.maxMinutes ?? 120)}
          onChange={(v) => setP({ ...p, checkout: { ...co, maxMinutes: Math.max(1, Number(v) || 120) } })}
          inputMode="numeric"
        />
        <Checkbox isSelected={co.rotateOnCheckin ?? false} onChange={(v) => setP({ ...p, checkout: { ...co, rotateOnCheckin: v } })}>
          New password at checkin
        </Checkbox>
        <Checkbox isSelected={co.sharedRead ?? false} onChange={(v) => setP({ ...p, checkout: { ...co, sharedRead: v } })}>
          Others may reveal while checked out
        </Checkbox>
      </fieldset>
      <fieldset className="stack">
        <legend>Password generation</legend>
        <Field
          label="Length"
          value={String(p.passwordPolicy?.length ?? 24)}
          onChange={(v) => setP({ ...p, passwordPolicy: { ...(p.passwordPolicy ?? {}), length: Math.max(8, Number(v) || 24) } })}
          inputMode="numeric"
        />
      </fieldset>
      {save.error && <ErrorState error={save.error} />}
      {save.isSuccess && <p role="status">Saved.</p>}
      <Button type="submit" variant="primary" isPending={save.isPending}>
        Save policy
      </Button>
    </Form>
  );
}
