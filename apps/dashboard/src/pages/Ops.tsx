import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type DeadTurn, type Page, type QueueStat, type Tenant, type WorkerInfo } from '../api.ts';
import { Empty, ErrorState, Loaded, Scroll, when } from '../states.tsx';

/** Queue, turn and worker figures refresh by polling. */
const POLL_MS = 2000;

const editableLimits = ['monthlyTokenBudget', 'requestsPerMinute', 'maxConcurrentTurns', 'maxConversations'] as const;

function LimitsForm({ tenant, onDone }: { tenant: Tenant; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState(() =>
    Object.fromEntries(editableLimits.map((k) => [k, tenant[k] === null ? '' : String(tenant[k])])),
  );
  const save = useMutation({
    mutationFn: () =>
      api<Tenant>(`/v1/admin/tenants/${tenant.id}`, {
        method: 'PATCH',
        body: Object.fromEntries(editableLimits.map((k) => [k, values[k] === '' ? null : Number(values[k])])),
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['tenants'] });
      onDone();
    },
  });
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {editableLimits.map((k) => (
        <label key={k}>
          {k}{' '}
          <input
            inputMode="numeric"
            placeholder="default"
            value={values[k]}
            onChange={(e) => setValues({ ...values, [k]: e.target.value })}
          />
        </label>
      ))}
      <button type="submit" disabled={save.isPending}>
        Save limits
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {save.error ? <ErrorState error={save.error} /> : null}
    </form>
  );
}

function Tenants() {
  const queryClient = useQueryClient();
  const tenants = useQuery({ queryKey: ['tenants'], queryFn: () => api<Page<Tenant>>('/v1/admin/tenants?limit=200') });
  const [editing, setEditing] = useState<string | null>(null);
  const status = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'suspend' | 'resume' }) =>
      api(`/v1/admin/tenants/${id}/${action}`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tenants'] }),
  });
  return (
    <Loaded query={tenants} what="tenants">
      {({ data }) =>
        data.length === 0 ? (
          <Empty>No tenants.</Empty>
        ) : (
          <Scroll label="Tenants">
            {status.error ? <ErrorState error={status.error} /> : null}
            <table>
              <caption className="sr-only">Tenants</caption>
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Status</th>
                  <th scope="col">Limits (null: default)</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.map((t) => (
                  <tr key={t.id}>
                    <td>
                      {t.name}
                      <br />
                      <code>{t.id}</code>
                    </td>
                    <td>
                      <span className={`badge ${t.status}`}>{t.status}</span>
                    </td>
                    <td>
                      {editing === t.id ? (
                        <LimitsForm tenant={t} onDone={() => setEditing(null)} />
                      ) : (
                        editableLimits.map((k) => `${k}: ${t[k] ?? 'default'}`).join(' · ')
                      )}
                    </td>
                    <td className="actions">
                      {t.status === 'suspended' ? (
                        <button type="button" onClick={() => status.mutate({ id: t.id, action: 'resume' })}>
                          Resume {t.name}
                        </button>
                      ) : (
                        <button type="button" onClick={() => status.mutate({ id: t.id, action: 'suspend' })}>
                          Suspend {t.name}
                        </button>
                      )}
                      <button type="button" onClick={() => setEditing(t.id)}>
                        Edit limits of {t.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )
      }
    </Loaded>
  );
}

function Queues() {
  const queues = useQuery({
    queryKey: ['queues'],
    queryFn: () => api<{ data: QueueStat[] }>('/v1/admin/queues'),
    refetchInterval: POLL_MS,
  });
  return (
    <Loaded query={queues} what="queues">
      {({ data }) =>
        data.length === 0 ? (
          <Empty>No queues: has `warren migrate` run?</Empty>
        ) : (
          <Scroll label="Queues">
            <table>
              <caption className="sr-only">Queues</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Running</th>
                  <th scope="col">Oldest waiting</th>
                </tr>
              </thead>
              <tbody>
                {data.map((q) => (
                  <tr key={q.name}>
                    <td>{q.name}</td>
                    <td>{q.queued}</td>
                    <td>{q.active}</td>
                    <td>{q.queued ? `${q.oldestQueuedSeconds} s` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )
      }
    </Loaded>
  );
}

function DeadTurns() {
  const queryClient = useQueryClient();
  const dead = useQuery({
    queryKey: ['dead-turns'],
    queryFn: () => api<{ data: DeadTurn[] }>('/v1/admin/dead-turns'),
    refetchInterval: POLL_MS,
  });
  const redrive = useMutation({
    mutationFn: (t: DeadTurn) => api(`/v1/admin/tenants/${t.tenantId}/turns/${t.id}/redrive`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['dead-turns'] }),
  });
  return (
    <Loaded query={dead} what="dead-lettered turns">
      {({ data }) =>
        data.length === 0 ? (
          <Empty>No dead-lettered turns.</Empty>
        ) : (
          <Scroll label="Dead-lettered turns">
            {redrive.error ? <ErrorState error={redrive.error} /> : null}
            <table>
              <caption className="sr-only">Dead-lettered turns</caption>
              <thead>
                <tr>
                  <th scope="col">Turn</th>
                  <th scope="col">Tenant</th>
                  <th scope="col">Error</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {data.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <code>{t.id}</code>
                    </td>
                    <td>
                      <code>{t.tenantId}</code>
                    </td>
                    <td>{t.error?.message ?? '—'}</td>
                    <td>{when(t.finishedAt)}</td>
                    <td>
                      <button type="button" onClick={() => redrive.mutate(t)} disabled={redrive.isPending}>
                        Redrive {t.id.slice(-6)}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )
      }
    </Loaded>
  );
}

function Migrations() {
  const migrations = useQuery({
    queryKey: ['migrations'],
    queryFn: () => api<{ latest: string | null; behind: Array<{ id: string; name: string; missing: number }> }>('/v1/admin/migrations'),
  });
  return (
    <Loaded query={migrations} what="migrations">
      {(m) =>
        m.behind.length === 0 ? (
          <Empty>Every tenant is at {m.latest ?? 'the latest migration'}.</Empty>
        ) : (
          <ul>
            {m.behind.map((t) => (
              <li key={t.id}>
                {t.name} (<code>{t.id}</code>): {t.missing} migration(s) behind {m.latest}
              </li>
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

function Workers() {
  const workers = useQuery({
    queryKey: ['workers'],
    queryFn: () => api<{ data: WorkerInfo[] }>('/v1/admin/workers'),
    refetchInterval: POLL_MS,
  });
  return (
    <Loaded query={workers} what="workers">
      {({ data }) =>
        data.length === 0 ? (
          <Empty>No worker has reported in the last 30 s.</Empty>
        ) : (
          <ul>
            {data.map((w) => (
              <li key={w.id}>
                <code>{w.id}</code> on {w.host}: {w.sandboxesLive} live sandbox(es), up since {when(w.startedAt)}
              </li>
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

export function OpsConsole() {
  const sections = [
    ['tenants', 'Tenants', Tenants],
    ['queues', 'Queues', Queues],
    ['dead', 'Dead-lettered turns', DeadTurns],
    ['migrations', 'Migrations', Migrations],
    ['workers', 'Workers and sandboxes', Workers],
  ] as const;
  return (
    <>
      <h1>Ops console</h1>
      {sections.map(([id, title, View]) => (
        <section key={id} aria-labelledby={`ops-${id}`}>
          <h2 id={`ops-${id}`}>{title}</h2>
          <View />
        </section>
      ))}
    </>
  );
}
