// Fields by template, with reveal (a reason when the policy asks one) and copy. Revealed values
// live in this component's state only, and are hidden again after 30 s and whenever the window
// loses focus; a copied value is cleared from the clipboard after 30 s.
import type { EffectiveAccessPolicy, Secret, Template } from '@coffer/sdk/client';
import { isCofferError } from '@coffer/sdk/client';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, ErrorState, Field, Modalog, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';

export const HIDE_AFTER_MS = 30_000;
export const CLIPBOARD_CLEAR_MS = 30_000;

interface Row {
  key: string;
  label: string;
  sensitive: boolean;
  value: string | null;
}

function rowsOf(secret: Secret, template: Template | undefined): Row[] {
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const f of template?.fields ?? []) {
    seen.add(f.slug);
    const has = f.sensitive ? secret.sensitiveFields.includes(f.slug) : secret.fields[f.slug] !== undefined;
    if (!has && !f.required) continue;
    rows.push({ key: f.slug, label: f.name, sensitive: f.sensitive, value: f.sensitive ? null : (secret.fields[f.slug] ?? '') });
  }
  for (const [k, v] of Object.entries(secret.fields)) if (!seen.has(k)) rows.push({ key: k, label: k, sensitive: false, value: v });
  for (const k of secret.sensitiveFields) if (!seen.has(k)) rows.push({ key: k, label: k, sensitive: true, value: null });
  for (const c of secret.customFields) rows.push({ key: c.name, label: `${c.name} (custom)`, sensitive: c.value === null, value: c.value });
  return rows;
}

/** Asks for the audited reason; resolves null when cancelled. */
export function useReasonPrompt() {
  const [pending, setPending] = useState<((r: string | null) => void) | null>(null);
  const ask = useCallback(() => new Promise<string | null>((resolve) => setPending(() => resolve)), []);
  const [text, setText] = useState('');
  const close = (r: string | null) => {
    pending?.(r);
    setPending(null);
    setText('');
  };
  const dialog = (
    <Modalog title="Why do you need this value?" isOpen={pending !== null} onClose={() => close(null)}>
      <Form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) close(text.trim());
        }}
      >
        <p>The policy of this secret asks for a reason. It is written to the audit trail with the reveal.</p>
        <Field label="Reason" value={text} onChange={setText} isRequired autoFocus placeholder="e.g. INC-4711" />
        <div className="dialog-actions">
          <Button onPress={() => close(null)}>Cancel</Button>
          <Button type="submit" variant="primary">
            Reveal
          </Button>
        </div>
      </Form>
    </Modalog>
  );
  return { ask, dialog };
}

export function FieldsPanel({
  secret,
  template,
  policy,
  holdsAccess = false,
  onRequest,
}: {
  secret: Secret;
  template: Template | undefined;
  policy: EffectiveAccessPolicy | undefined;
  holdsAccess?: boolean;
  onRequest: () => void;
}) {
  const qc = useQueryClient();
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const reason = useRef<string | null>(null);
  const { ask, dialog } = useReasonPrompt();
  const hideTimer = useRef<number | undefined>(undefined);
  const clipTimer = useRef<number | undefined>(undefined);

  const hide = useCallback(() => {
    setValues({});
    window.clearTimeout(hideTimer.current);
  }, []);

  useEffect(() => {
    const onHidden = () => hide();
    const onVis = () => document.visibilityState === 'hidden' && hide();
    window.addEventListener('blur', onHidden);
    document.addEventListener('visibilitychange', onVis);
    return () => {
      window.removeEventListener('blur', onHidden);
      document.removeEventListener('visibilitychange', onVis);
      hide();
      window.clearTimeout(clipTimer.current);
    };
  }, [hide]);

  async function fetchValues(fields: string[] | undefined): Promise<Record<string, string> | null> {
    setError(null);
    let r = reason.current;
    if (!r && policy?.requireReason.value && !holdsAccess) {
      r = await ask();
      if (!r) return null;
      reason.current = r;
    }
    try {
      const out = await api.secrets.reveal(secret.id, { ...(r ? { reason: r } : {}), ...(fields ? { fields } : {}) });
      void qc.invalidateQueries({ queryKey: ['audit'] });
      return out.values;
    } catch (e) {
      if (isCofferError(e, 'validation.failed') && !r && /reason/i.test(e.message)) {
        const again = await ask();
        if (!again) return null;
        reason.current = again;
        const out = await api.secrets.reveal(secret.id, { reason: again, ...(fields ? { fields } : {}) });
        return out.values;
      }
      setError(e);
      return null;
    }
  }

  async function reveal(key: string) {
    const v = await fetchValues([key]);
    if (!v) return;
    setValues((prev) => ({ ...prev, ...v }));
    window.clearTimeout(hideTimer.current);
    hideTimer.current = window.setTimeout(hide, HIDE_AFTER_MS);
  }

  async function copy(row: Row) {
    const value = row.sensitive ? (values[row.key] ?? (await fetchValues([row.key]))?.[row.key]) : row.value;
    if (value === undefined || value === null) return;
    try {
      await navigator.clipboard.writeText(value);
      setStatus(`${row.label} copied. The clipboard is cleared in ${CLIPBOARD_CLEAR_MS / 1000} seconds.`);
      window.clearTimeout(clipTimer.current);
      clipTimer.current = window.setTimeout(() => {
        navigator.clipboard.writeText('').catch(() => {});
        setStatus('Clipboard cleared.');
      }, CLIPBOARD_CLEAR_MS);
    } catch {
      setStatus('The browser refused access to the clipboard.');
    }
  }

  const rows = rowsOf(secret, template);
  const approvalNeeded = isCofferError(error, 'secret.approval_required');
  return (
    <div className="stack">
      {approvalNeeded ? (
        <div className="notice" role="alert">
          Revealing this secret needs an approved access request.{' '}
          <Button variant="primary" onPress={onRequest}>
            Request access
          </Button>
        </div>
      ) : (
        error !== null && <ErrorState error={error} />
      )}
      {policy?.requireReason.value && <p className="muted">Revealing asks for a reason, which is audited.</p>}
      {secret.e2eScheme === 'master-password' ? (
        <div className="notice" role="note" data-testid="e2e-notice">
          This secret was encrypted by a Passwork client with its master password: Coffer holds only its ciphertext, and only that client
          can open or change its value.
        </div>
      ) : (
        secret.e2e === true && (
          <div className="notice" role="note" data-testid="e2e-notice">
            This secret is end-to-end encrypted: its values are OpenPGP messages that only the readers&apos; private keys open, and the
            browser holds no private key. Read or change them with <code>coffer reveal</code> / <code>coffer set</code> or the SDK.
            {secret.rotationRequired === true && ' A reader was removed or changed key since it was written: give it a new value.'}
          </div>
        )
      )}
      <dl className="fields">
        {rows.map((r) => (
          <div key={r.key} className="field-group">
            <dt>{r.label}</dt>
            <dd>
              {r.sensitive ? (
                values[r.key] !== undefined ? (
                  <span className="value" data-testid={`value-${r.key}`}>
                    {values[r.key]}
                  </span>
                ) : (
                  <span className="value masked" role="img" aria-label="hidden value">
                    ••••••••••
                  </span>
                )
              ) : (
                <span className="value">{r.value || '—'}</span>
              )}
              {r.sensitive &&
                secret.e2e !== true &&
                (values[r.key] !== undefined ? (
                  <Button variant="quiet" onPress={hide} aria-label={`Hide ${r.label}`}>
                    Hide
                  </Button>
                ) : (
                  <Button variant="quiet" onPress={() => reveal(r.key)} aria-label={`Reveal ${r.label}`}>
                    Reveal
                  </Button>
                ))}
              {((r.sensitive && secret.e2e !== true) || r.value) && (
                <Button variant="quiet" onPress={() => copy(r)} aria-label={`Copy ${r.label}`}>
                  Copy
                </Button>
              )}
            </dd>
          </div>
        ))}
      </dl>
      <dl className="fields">
        <dt>Description</dt>
        <dd>{secret.description || '—'}</dd>
        <dt>Tags</dt>
        <dd>
          {secret.tags.length
            ? secret.tags.map((t) => (
                <span key={t} className="tag">
                  {t}
                </span>
              ))
            : '—'}
        </dd>
        <dt>Expires</dt>
        <dd>{when(secret.expiresAt)}</dd>
        <dt>Version</dt>
        <dd>
          {secret.version} (changed {when(secret.updatedAt)})
        </dd>
        <dt>Your access</dt>
        <dd>{secret.myLevel ?? '—'}</dd>
      </dl>
      <p role="status" aria-live="polite" className="muted">
        {status}
      </p>
      {dialog}
    </div>
  );
}
