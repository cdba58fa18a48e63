import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type ApiKey, api } from '../api.ts';
import { Empty, ErrorState, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';

export function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ data: ApiKey[] }>('/v1/api-keys') });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKey | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: () => api<ApiKey>('/v1/api-keys', { method: 'POST', body: { name } }),
    onSuccess: async (key) => {
      setCreated(key);
      setName('');
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/v1/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  return (
    <>
      <h1>API keys</h1>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Key name <input required value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      {created ? (
        <div className="notice" role="status">
          <p>
            New key <strong>{created.name}</strong>: copy it now, it is not shown again.
          </p>
          <code className="secret" data-testid="new-key">
            {created.key}
          </code>{' '}
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {revoke.error ? <ErrorState error={revoke.error} /> : null}
      <Loaded query={keys} what="API keys">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>No keys.</Empty>
          ) : (
            <Table
              caption="API keys"
              rows={data}
              rowKey={(k) => k.id}
              columns={[
                { head: 'Name', cell: (k) => k.name },
                { head: 'Prefix', cell: (k) => <code>{k.prefix}…</code> },
                { head: 'Created', cell: (k) => when(k.createdAt) },
                {
                  head: 'Status',
                  cell: (k) =>
                    k.revokedAt ? (
                      `revoked ${when(k.revokedAt)}`
                    ) : (
                      <button type="button" onClick={() => revoke.mutate(k.id)} aria-label={`Revoke key ${k.name}`}>
                        Revoke
                      </button>
                    ),
                },
              ]}
            />
          )
        }
      </Loaded>
    </>
  );
}
