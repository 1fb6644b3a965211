// Request access to a secret: reason, duration, optional start, reveal or checkout.
import type { EffectiveAccessPolicy, RequestAction, Secret } from '@coffer/sdk/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, ErrorState, Field, Modalog, SelectField } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';

export function RequestAccessDialog({
  secret,
  policy,
  onClose,
}: {
  secret: Secret;
  policy: EffectiveAccessPolicy | undefined;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('30');
  const [start, setStart] = useState('');
  const [action, setAction] = useState<RequestAction>(policy?.checkout.exclusive.value ? 'checkout' : 'reveal');
  const m = useMutation({
    mutationFn: () =>
      api.accessRequests.create({
        secretId: secret.id,
        action,
        reason: reason.trim(),
        durationMinutes: Math.max(1, Math.min(10080, Number(minutes) || 30)),
        ...(start ? { startAt: new Date(start).toISOString() } : {}),
      }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['access-requests'] });
      onClose();
    },
  });
  return (
    <Modalog title={`Request access to “${secret.name}”`} isOpen onClose={onClose}>
      <Form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Reason" value={reason} onChange={setReason} isRequired autoFocus description="Audited, and shown to the approvers" />
        <SelectField
          label="To"
          value={action}
          onChange={(v) => setAction(v as RequestAction)}
          options={[
            { id: 'reveal', label: 'Reveal during the window' },
            { id: 'checkout', label: 'Check out (exclusive)' },
          ]}
        />
        <Field label="For how many minutes" value={minutes} onChange={setMinutes} inputMode="numeric" isRequired />
        <Field label="From (optional, default now)" type="datetime-local" value={start} onChange={setStart} />
        {m.error && <ErrorState error={m.error} />}
        <div className="dialog-actions">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isPending={m.isPending}>
            Send request
          </Button>
        </div>
      </Form>
    </Modalog>
  );
}
