// The effective access policy (each part with the vault or folder it comes from) and "why can X
// do this": the explain endpoint's steps as a readable chain.
import type { EffectiveAccessPolicy, Explain, Level, Secret } from '@coffer/sdk/client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, ErrorState, Field, Loading, SelectField } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { LEVELS } from './sharing.tsx';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function AccessPanel({
  secret,
  policy,
  policyError,
}: {
  secret: Secret;
  policy: EffectiveAccessPolicy | undefined;
  policyError: unknown;
}) {
  if (policyError) return <ErrorState error={policyError} />;
  if (!policy) return <Loading label="Loading the policy" />;
  const names = new Map(policy.chain.map((c) => [c.nodeId, `${c.nodeType} “${c.name}”`]));
  const src = (s: string | null) => (s ? (names.get(s) ?? s) : 'the default');
  const rows: [string, string, string | null][] = [
    ['A reason is required to reveal', policy.requireReason.value ? 'yes' : 'no', policy.requireReason.source],
    ['Approval required', policy.approval.required.value ? 'yes' : 'no', policy.approval.required.source],
    ['Approvals needed', String(policy.approval.approvals.value), policy.approval.approvals.source],
    [
      'Approvers',
      policy.approval.approvers.value.length
        ? policy.approval.approvers.value.map((a) => `${a.type} ${a.id}`).join(', ')
        : 'users with manage access',
      policy.approval.approvers.source,
    ],
    ['Owners need approval too', policy.approval.ownersToo.value ? 'yes' : 'no', policy.approval.ownersToo.source],
    ['Exclusive checkout', policy.checkout.exclusive.value ? 'yes' : 'no', policy.checkout.exclusive.source],
    ['Longest checkout', `${policy.checkout.maxMinutes.value} minutes`, policy.checkout.maxMinutes.source],
    ['New password at checkin', policy.checkout.rotateOnCheckin.value ? 'yes' : 'no', policy.checkout.rotateOnCheckin.source],
    ['Others may reveal while checked out', policy.checkout.sharedRead.value ? 'yes' : 'no', policy.checkout.sharedRead.source],
  ];
  if (policy.timeWindow) {
    const tw = policy.timeWindow;
    rows.push(['Time window (UTC)', `${tw.days.value.map((d) => DAYS[d]).join(' ')} ${tw.from.value}–${tw.to.value}`, tw.from.source]);
  }
  return (
    <div className="grid-2">
      <section aria-labelledby="policy-title" className="stack">
        <h2 id="policy-title">Effective access policy</h2>
        <p className="muted">
          Inherited along: {policy.chain.map((c) => `${c.name}${c.inheritsPolicy ? '' : ' (starts afresh)'}`).join(' › ') || '—'}
        </p>
        <table className="table">
          <caption className="visually-hidden">Policy of {secret.name}</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Value</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([k, v, s]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{v}</td>
                <td>{src(s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          For you: {policy.you.owner ? 'you manage this secret; ' : ''}
          {policy.you.needsApproval ? 'you need an approved request to reveal it' : 'no approval needed'}
          {policy.you.inWindow ? '' : '; outside the allowed time window now'}.
        </p>
      </section>
      <ExplainPanel secret={secret} names={names} />
    </div>
  );
}

function ExplainPanel({ secret, names }: { secret: Secret; names: Map<string, string> }) {
  const [username, setUsername] = useState('');
  const [level, setLevel] = useState<Level>('reveal');
  const explain = useMutation({
    mutationFn: async (): Promise<{ who: string; r: Explain }> => {
      const user = username.trim() ? await api.users.lookup(username.trim()) : null;
      const r = await api.access.explain({ nodeId: secret.id, action: level, ...(user ? { userId: user.id } : {}) });
      return { who: user?.username ?? 'You', r };
    },
  });
  const node = (id: string, type: string) => (id === secret.id ? `this secret` : (names.get(id) ?? `${type} ${id}`));
  return (
    <section aria-labelledby="explain-title" className="stack">
      <h2 id="explain-title">Why can someone do this?</h2>
      <Form
        className="page-actions"
        onSubmit={(e) => {
          e.preventDefault();
          explain.mutate();
        }}
      >
        <Field label="User (empty: you)" value={username} onChange={setUsername} />
        <SelectField label="Action" value={level} onChange={(v) => setLevel(v as Level)} options={LEVELS} />
        <Button type="submit" variant="primary" isPending={explain.isPending}>
          Explain
        </Button>
      </Form>
      {explain.error && <ErrorState error={explain.error} />}
      {explain.data && (
        <div className="stack" aria-live="polite">
          <p>
            <strong>
              {explain.data.who} {explain.data.r.allowed ? 'can' : 'cannot'} {level}
            </strong>{' '}
            this secret: {explain.data.who === 'You' ? 'your' : 'their'} level here is <strong>{explain.data.r.level ?? 'none'}</strong>.
            {explain.data.r.roleNote ? ` ${explain.data.r.roleNote}` : ''}
          </p>
          {explain.data.r.steps.length === 0 ? (
            <p>No grant reaches this secret.</p>
          ) : (
            <ol className="chain">
              {explain.data.r.steps.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the steps are an ordered explanation
                <li key={i} className={s.applies ? 'applies' : ''}>
                  <strong>{s.level}</strong> granted to {s.principalType}{' '}
                  {s.principalId === explain.data.r.principalId ? `(${explain.data.who})` : s.principalId} on {node(s.nodeId, s.nodeType)}
                  {s.distance > 0 ? `, ${s.distance} level${s.distance === 1 ? '' : 's'} up` : ''} —{' '}
                  {s.applies ? 'applies' : 'does not apply'}: {s.why}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  );
}
