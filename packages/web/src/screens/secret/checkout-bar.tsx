// Checkout state of a secret: who holds it and for how long, and check out / check in / force.
import type { EffectiveAccessPolicy, Secret } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button, ErrorState, Field, Modalog } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { remaining } from '../../lib/format.ts';
import { checkoutsQuery, myRequestsQuery } from '../../lib/queries.ts';
import { useMe } from '../../lib/session.tsx';
import { useReasonPrompt } from './fields.tsx';

export { remaining };

export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function CheckoutBar({ secret, policy, onRequest }: { secret: Secret; policy: EffectiveAccessPolicy; onRequest: () => void }) {
  const qc = useQueryClient();
  const me = useMe();
  const now = useNow();
  const checkouts = useQuery(checkoutsQuery(secret.id));
  const approved = useQuery(myRequestsQuery(secret.id));
  const [forcing, setForcing] = useState(false);
  const [forceReason, setForceReason] = useState('');
  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: ['checkouts'] });
    await qc.invalidateQueries({ queryKey: ['access-requests'] });
    await qc.invalidateQueries({ queryKey: ['secret', secret.id] });
  };
  const active = checkouts.data?.items.find((c) => c.active);
  const mine = active?.holderId === me.user.userId;
  const request =
    approved.data?.items.find((r) => r.state === 'approved' && r.action === 'checkout') ??
    approved.data?.items.find((r) => r.state === 'approved');
  const waiting = approved.data?.items.find((r) => r.state === 'waiting_for_approval');
  const { ask, dialog } = useReasonPrompt();
  const start = useMutation({
    mutationFn: async () => {
      // the approved request's reason is the checkout's; without one, ask when the policy wants one
      let reason = request?.reason;
      if (!reason && policy.requireReason.value) reason = (await ask()) ?? undefined;
      if (!reason && policy.requireReason.value) return;
      await api.checkouts.start(secret.id, { ...(request ? { requestId: request.id } : {}), ...(reason ? { reason } : {}) });
    },
    onSuccess: refresh,
  });
  const checkin = useMutation({
    mutationFn: (reason?: string) => api.checkouts.checkin(secret.id, reason ? { reason } : {}),
    onSuccess: async () => {
      setForcing(false);
      await refresh();
    },
  });
  const exclusive = policy.checkout.exclusive.value;
  if (!exclusive && !policy.you.needsApproval && !active) return null;
  return (
    <section className="notice checkout-bar" aria-label="Checkout">
      {active ? (
        <span>
          Checked out by <strong>{mine ? 'you' : (active.holderName ?? active.holderId)}</strong> — {remaining(active.endsAt, now)} left
          {active.reason ? ` (${active.reason})` : ''}.
        </span>
      ) : policy.you.needsApproval && !request ? (
        <span>{waiting ? `Your request is ${waiting.stateLabel}.` : 'Access to this secret needs an approved request.'}</span>
      ) : (
        <span>{exclusive ? 'Available for exclusive checkout.' : 'Your request is approved.'}</span>
      )}{' '}
      {!active && policy.you.needsApproval && !request && !waiting && (
        <Button variant="primary" onPress={onRequest}>
          Request access
        </Button>
      )}
      {!active && exclusive && (!policy.you.needsApproval || request) && (
        <Button variant="primary" onPress={() => start.mutate()} isPending={start.isPending}>
          Check out
        </Button>
      )}
      {active && mine && (
        <Button variant="primary" onPress={() => checkin.mutate(undefined)} isPending={checkin.isPending}>
          Check in
        </Button>
      )}
      {active && !mine && (policy.you.owner || me.user.role === 'administrator') && (
        <Button variant="danger" onPress={() => setForcing(true)}>
          Force check-in…
        </Button>
      )}
      {(start.error || checkin.error) && <ErrorState error={start.error ?? checkin.error} />}
      <Modalog title="Force check-in" isOpen={forcing} onClose={() => setForcing(false)} role="alertdialog">
        <p>End {active?.holderName ?? 'the holder'}'s checkout now? The reason is audited.</p>
        <Field label="Reason" value={forceReason} onChange={setForceReason} isRequired autoFocus />
        <div className="dialog-actions">
          <Button onPress={() => setForcing(false)}>Cancel</Button>
          <Button variant="danger" isDisabled={!forceReason.trim()} onPress={() => checkin.mutate(forceReason.trim())}>
            Force check-in
          </Button>
        </div>
      </Modalog>
      {dialog}
    </section>
  );
}
