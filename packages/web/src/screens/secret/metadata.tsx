// Metadata: typed fields in sections, stored in clear (never a secret).
import type { MetadataType } from '@coffer/sdk/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { Button, Empty, ErrorState, Field, Loading, SelectField, when } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { metadataQuery } from '../../lib/queries.ts';

export function MetadataPanel({ nodeId }: { nodeId: string }) {
  const qc = useQueryClient();
  const list = useQuery(metadataQuery(nodeId));
  const [section, setSection] = useState('General');
  const [name, setName] = useState('');
  const [type, setType] = useState<MetadataType>('string');
  const [value, setValue] = useState('');
  const done = () => qc.invalidateQueries({ queryKey: ['metadata', nodeId] });
  const set = useMutation({
    mutationFn: () =>
      api.metadata.set({
        nodeId,
        section,
        name,
        type,
        value: type === 'number' ? Number(value) : type === 'boolean' ? value === 'true' : value,
      }),
    onSuccess: () => {
      setName('');
      setValue('');
      return done();
    },
  });
  const del = useMutation({ mutationFn: (f: { section: string; name: string }) => api.metadata.delete({ nodeId, ...f }), onSuccess: done });
  return (
    <div className="stack">
      <p className="muted">Metadata is stored in clear text, for search and reports: never put a secret in it.</p>
      {list.isPending && <Loading />}
      {list.isError && <ErrorState error={list.error} />}
      {list.data && list.data.items.length === 0 && <Empty>No metadata yet.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Metadata</caption>
          <thead>
            <tr>
              <th scope="col">Section</th>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Changed</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((m) => (
              <tr key={`${m.section}/${m.name}`}>
                <td>{m.section}</td>
                <td>{m.name}</td>
                <td>
                  {String(m.value)} <span className="muted">({m.type})</span>
                </td>
                <td>{when(m.updatedAt)}</td>
                <td>
                  <Button
                    variant="quiet"
                    className="danger-text"
                    onPress={() => del.mutate(m)}
                    aria-label={`Delete ${m.section} ${m.name}`}
                  >
                    Delete
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form
        className="page-actions"
        onSubmit={(e) => {
          e.preventDefault();
          set.mutate();
        }}
      >
        <Field label="Section" value={section} onChange={setSection} isRequired />
        <Field label="Field" value={name} onChange={setName} isRequired />
        <SelectField
          label="Type"
          value={type}
          onChange={(v) => setType(v as MetadataType)}
          options={['string', 'number', 'boolean', 'date', 'user'].map((t) => ({ id: t, label: t }))}
        />
        <Field label="Value" value={value} onChange={setValue} isRequired />
        <Button type="submit" variant="primary" isPending={set.isPending}>
          Set
        </Button>
      </Form>
      {(set.error || del.error) && <ErrorState error={set.error ?? del.error} />}
    </div>
  );
}
