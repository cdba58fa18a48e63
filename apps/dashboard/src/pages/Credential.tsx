import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Credential } from '../api.ts';
import { ErrorState, Loaded, when } from '../states.tsx';

/** The tenant's own model key: set, replace or remove; the API never returns it, only its last characters. */
export function CredentialView() {
  const queryClient = useQueryClient();
  const stored = useQuery({ queryKey: ['credentials'], queryFn: () => api<{ data: Credential[] }>('/v1/credentials') });
  const [key, setKey] = useState('');
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['credentials'] });
  const save = useMutation({
    mutationFn: () => api<Credential>('/v1/credentials/anthropic', { method: 'PUT', body: { apiKey: key } }),
    onSuccess: async () => {
      setKey('');
      await refresh();
    },
  });
  const remove = useMutation({ mutationFn: () => api('/v1/credentials/anthropic', { method: 'DELETE' }), onSuccess: refresh });
  return (
    <>
      <h1>Model credential</h1>
      <Loaded query={stored} what="credential">
        {({ data }) => {
          const current = data.find((c) => c.provider === 'anthropic');
          return current ? (
            <p>
              An Anthropic key ending in <code>…{current.hint}</code> is stored (since {when(current.updatedAt)}); model calls bill to it.{' '}
              <button type="button" onClick={() => remove.mutate()} disabled={remove.isPending}>
                Remove key
              </button>
            </p>
          ) : (
            <p>No key of your own: model calls use the platform's key.</p>
          );
        }}
      </Loaded>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label>
          Anthropic API key{' '}
          <input type="password" autoComplete="off" required minLength={20} value={key} onChange={(e) => setKey(e.target.value)} />
        </label>
        <button type="submit" disabled={save.isPending}>
          Set or replace key
        </button>
      </form>
      {save.error ? <ErrorState error={save.error} /> : null}
      {remove.error ? <ErrorState error={remove.error} /> : null}
    </>
  );
}
