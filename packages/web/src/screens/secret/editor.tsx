// Creating and editing a secret: fields by template, a password generator and strength meter,
// tags, expiry and custom fields. Sensitive fields left empty when editing keep their value.
import type { CreateSecret, FieldType, Secret, Template, UpdateSecret } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Form, Label, Meter } from 'react-aria-components';
import { Button, Checkbox, ErrorState, Field, SelectField } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { navigate } from '../../lib/router.tsx';

interface Custom {
  name: string;
  type: FieldType;
  value: string;
}

const STRENGTH = ['very weak', 'weak', 'fair', 'good', 'strong'];

/** The strength estimate of the server (zxcvbn), asked once typing pauses. */
export function StrengthMeter({ password }: { password: string }) {
  const [settled, setSettled] = useState(password);
  useEffect(() => {
    const t = setTimeout(() => setSettled(password), 400);
    return () => clearTimeout(t);
  }, [password]);
  const q = useQuery({
    queryKey: ['strength', settled],
    queryFn: () => api.passwords.strength(settled),
    enabled: settled.length > 0,
    gcTime: 0,
    staleTime: 0,
  });
  if (!password) return null;
  const score = q.data?.score ?? 0;
  return (
    <Meter className="meter" value={score} minValue={0} maxValue={4} valueLabel={q.data ? STRENGTH[score] : 'checking'}>
      {({ valueText }) => (
        <>
          <Label>Strength: {valueText}</Label>
          <div className="meter-bar">
            <div className="meter-fill" style={{ width: `${(score / 4) * 100}%` }} />
          </div>
          {q.data && q.data.score < 3 && <small className="muted">{q.data.feedback.join(' ')}</small>}
        </>
      )}
    </Meter>
  );
}

export function PasswordInput({
  label,
  value,
  onChange,
  where,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  where: { vaultId?: string; folderId?: string };
  placeholder?: string;
}) {
  const [length, setLength] = useState('24');
  const [symbols, setSymbols] = useState(true);
  const gen = useMutation({
    mutationFn: () => api.passwords.generate({ ...where, policy: { length: Math.max(8, Math.min(256, Number(length) || 24)), symbols } }),
    onSuccess: (r) => onChange(r.passwords[0] ?? ''),
  });
  const [show, setShow] = useState(false);
  return (
    <div className="stack password-input">
      <Field
        label={label}
        type={show ? 'text' : 'password'}
        value={value}
        onChange={onChange}
        autoComplete="new-password"
        placeholder={placeholder}
      />
      <div className="page-actions">
        <Button variant="quiet" onPress={() => setShow((s) => !s)}>
          {show ? 'Hide' : 'Show'}
        </Button>
        <Button onPress={() => gen.mutate()} isPending={gen.isPending}>
          Generate
        </Button>
        <Field label="Length" value={length} onChange={setLength} inputMode="numeric" />
        <Checkbox isSelected={symbols} onChange={setSymbols}>
          Symbols
        </Checkbox>
      </div>
      {gen.error && <ErrorState error={gen.error} />}
      <StrengthMeter password={value} />
    </div>
  );
}

export function SecretForm({
  templates,
  secret,
  etag,
  vaultId,
  folderId,
}: {
  templates: Template[];
  secret?: Secret;
  etag?: string;
  vaultId: string;
  folderId: string | null;
}) {
  const qc = useQueryClient();
  const [templateSlug, setTemplate] = useState(secret?.template ?? templates[0]?.slug ?? '');
  const template = templates.find((t) => t.slug === templateSlug);
  const [name, setName] = useState(secret?.name ?? '');
  const [description, setDescription] = useState(secret?.description ?? '');
  const [tags, setTags] = useState(secret?.tags.join(', ') ?? '');
  const [expires, setExpires] = useState(secret?.expiresAt?.slice(0, 10) ?? '');
  const [fields, setFields] = useState<Record<string, string>>(() => ({ ...(secret?.fields ?? {}) }));
  const [custom, setCustom] = useState<Custom[]>(() =>
    (secret?.customFields ?? []).map((c) => ({ name: c.name, type: c.type, value: c.value ?? '' })),
  );
  const where = folderId ? { folderId } : { vaultId };

  const save = useMutation({
    mutationFn: async () => {
      const values: Record<string, string> = {};
      for (const f of template?.fields ?? []) {
        const v = fields[f.slug];
        if (v !== undefined && (v !== '' || !f.sensitive)) values[f.slug] = v;
      }
      const tagList = tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const customFields = custom.filter((c) => c.name.trim()).map((c) => ({ name: c.name.trim(), type: c.type, value: c.value }));
      const common = {
        name: name.trim(),
        description,
        tags: tagList,
        expiresAt: expires ? new Date(`${expires}T00:00:00Z`).toISOString() : null,
        fields: values,
        ...(customFields.length || secret?.customFields.length ? { customFields } : {}),
      };
      if (secret) {
        return api.secrets.update(secret.id, common as UpdateSecret, etag ? { ifMatch: etag } : {});
      }
      const input: CreateSecret = { vaultId, ...(folderId ? { folderId } : {}), template: templateSlug, ...common };
      return api.secrets.create(input);
    },
    onSuccess: async (s) => {
      await qc.invalidateQueries({ queryKey: ['secrets'] });
      await qc.invalidateQueries({ queryKey: ['secret', s.id] });
      navigate(`/secrets/${encodeURIComponent(s.id)}`);
    },
  });

  return (
    <Form
      className="stack secret-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {!secret && (
        <SelectField
          label="Template"
          value={templateSlug}
          onChange={setTemplate}
          options={templates.map((t) => ({ id: t.slug, label: t.name }))}
        />
      )}
      <Field label="Name" value={name} onChange={setName} isRequired />
      {template?.fields.map((f) =>
        f.sensitive && (f.type === 'password' || f.type === 'otp') ? (
          <PasswordInput
            key={f.slug}
            label={f.name}
            value={fields[f.slug] ?? ''}
            onChange={(v) => setFields((p) => ({ ...p, [f.slug]: v }))}
            where={where}
            placeholder={secret?.sensitiveFields.includes(f.slug) ? 'Unchanged' : ''}
          />
        ) : (
          <Field
            key={f.slug}
            label={f.name}
            value={fields[f.slug] ?? ''}
            onChange={(v) => setFields((p) => ({ ...p, [f.slug]: v }))}
            isRequired={f.required && !secret?.sensitiveFields.includes(f.slug)}
            multiline={f.type === 'notes' || f.type === 'ssh_private_key' || f.type === 'ssh_public_key'}
            type={f.sensitive ? 'password' : f.type === 'email' ? 'email' : f.type === 'url' ? 'url' : 'text'}
            placeholder={secret?.sensitiveFields.includes(f.slug) ? 'Unchanged' : ''}
          />
        ),
      )}
      <Field label="Description" value={description} onChange={setDescription} multiline />
      <Field label="Tags" description="Separated by commas" value={tags} onChange={setTags} />
      <Field label="Expires on" type="date" value={expires} onChange={setExpires} />
      <fieldset className="stack custom-fields">
        <legend>Custom fields</legend>
        {custom.map((c, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
          <div key={i} className="page-actions">
            <Field label="Field name" value={c.name} onChange={(v) => setCustom(custom.map((x, j) => (j === i ? { ...x, name: v } : x)))} />
            <SelectField
              label="Type"
              value={c.type}
              onChange={(v) => setCustom(custom.map((x, j) => (j === i ? { ...x, type: v as FieldType } : x)))}
              options={[
                { id: 'text', label: 'Text' },
                { id: 'password', label: 'Password (encrypted)' },
                { id: 'url', label: 'URL' },
                { id: 'notes', label: 'Notes (encrypted)' },
              ]}
            />
            <Field
              label="Value"
              type={c.type === 'password' ? 'password' : 'text'}
              value={c.value}
              onChange={(v) => setCustom(custom.map((x, j) => (j === i ? { ...x, value: v } : x)))}
            />
            <Button variant="quiet" onPress={() => setCustom(custom.filter((_, j) => j !== i))} aria-label={`Remove custom field ${i + 1}`}>
              Remove
            </Button>
          </div>
        ))}
        <Button variant="quiet" onPress={() => setCustom([...custom, { name: '', type: 'text', value: '' }])}>
          Add a custom field
        </Button>
      </fieldset>
      {save.error && <ErrorState error={save.error} />}
      <div className="page-actions">
        <Button type="submit" variant="primary" isPending={save.isPending}>
          {secret ? 'Save changes' : 'Create secret'}
        </Button>
      </div>
    </Form>
  );
}

export function SecretEditor({ secret, etag, templates }: { secret: Secret; etag: string; templates: Template[] }) {
  return <SecretForm templates={templates} secret={secret} etag={etag} vaultId={secret.vaultId} folderId={secret.folderId} />;
}
