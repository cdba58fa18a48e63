import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, type Conversation, type Page } from '../api.ts';
import { Empty, ErrorState, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';

export function Conversations() {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [field, setField] = useState<'titleContains' | 'externalId'>('titleContains');
  const [term, setTerm] = useState('');
  const [search, setSearch] = useState<{ field: string; term: string } | null>(null);
  const query = search ? `?${new URLSearchParams({ [search.field]: search.term, limit: '100' })}` : '?limit=100';
  const list = useQuery({
    queryKey: ['conversations', query],
    queryFn: () => api<Page<Conversation>>(`/v1/conversations${query}`),
  });
  const [title, setTitle] = useState('');
  const [externalId, setExternalId] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api<Conversation>('/v1/conversations', {
        method: 'POST',
        body: { ...(title ? { title } : {}), ...(externalId ? { externalId } : {}) },
      }),
    onSuccess: async (conversation) => {
      await queryClient.invalidateQueries({ queryKey: ['conversations'] });
      navigate(`/conversations/${conversation.id}`);
    },
  });
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setSearch(term.trim() ? { field, term: term.trim() } : null);
  };
  return (
    <>
      <h1>Conversations</h1>
      <section aria-labelledby="new-conv">
        <h2 id="new-conv">New conversation</h2>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <label>
            Title <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={500} />
          </label>
          <label>
            External id <input value={externalId} onChange={(e) => setExternalId(e.target.value)} maxLength={200} />
          </label>
          <button type="submit" disabled={create.isPending}>
            Create conversation
          </button>
        </form>
        {create.error ? <ErrorState error={create.error} /> : null}
      </section>
      <section aria-labelledby="find-conv">
        <h2 id="find-conv">Find</h2>
        <form className="row" onSubmit={onSearch}>
          <label>
            Search by{' '}
            <select value={field} onChange={(e) => setField(e.target.value as typeof field)}>
              <option value="titleContains">title</option>
              <option value="externalId">external id</option>
            </select>
          </label>
          <label>
            Search term <input type="search" value={term} onChange={(e) => setTerm(e.target.value)} />
          </label>
          <button type="submit">Search</button>
        </form>
        <Loaded query={list} what="conversations">
          {(page) =>
            page.data.length === 0 ? (
              <Empty>{search ? 'No conversation matches.' : 'No conversations yet: create one above, or through the API.'}</Empty>
            ) : (
              <Table
                caption="Conversations"
                rows={page.data}
                rowKey={(c) => c.id}
                columns={[
                  { head: 'Title', cell: (c) => <Link href={`/conversations/${c.id}`}>{c.title || c.id}</Link> },
                  { head: 'External id', cell: (c) => c.externalId ?? '—' },
                  { head: 'Messages', cell: (c) => c.lastSeq },
                  { head: 'Updated', cell: (c) => when(c.updatedAt) },
                ]}
              />
            )
          }
        </Loaded>
      </section>
    </>
  );
}
