import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, type DeadTurn, type Page, type QueueStat, type Tenant, type WorkerInfo } from '../api.ts';
import { tenantLimits } from '../limits.ts';
import { Empty, ErrorState, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';

/** Queue, turn and worker figures refresh by polling. */
const POLL_MS = 2000;

/** What the form sends for a field: null restores the default; text that is no number goes as is, for the API to refuse. */
function limitValue(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Every limit ops may set, as PATCH /v1/admin/tenants/:id takes them; only the changed ones are sent. */
function LimitsForm({ tenant, onDone }: { tenant: Tenant; onDone: () => void }) {
  const queryClient = useQueryClient();
  const initial = Object.fromEntries(tenantLimits.map(({ key }) => [key, tenant[key] === null ? '' : String(tenant[key])]));
  const [values, setValues] = useState(initial);
  const changed = tenantLimits.filter(({ key }) => values[key] !== initial[key]);
  const save = useMutation({
    mutationFn: () =>
      api<Tenant>(`/v1/admin/tenants/${tenant.id}`, {
        method: 'PATCH',
        body: Object.fromEntries(changed.map(({ key }) => [key, limitValue(values[key] ?? '')])),
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['tenants'] });
      onDone();
    },
  });
  const fieldErrors = save.error instanceof ApiError ? save.error.fields : {};
  return (
    <section aria-labelledby="limits-of" className="limits">
      <h3 id="limits-of">Limits of {tenant.name}</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (changed.length === 0) onDone();
          else save.mutate();
        }}
      >
        <div className="limit-fields">
          {tenantLimits.map(({ key, min, max, about }) => (
            <div key={key} className="field">
              <label htmlFor={`limit-${key}`}>{key}</label>
              <input
                id={`limit-${key}`}
                inputMode="numeric"
                placeholder="default"
                value={values[key]}
                onChange={(e) => setValues({ ...values, [key]: e.target.value })}
                aria-describedby={`limit-${key}-about${fieldErrors[key] ? ` limit-${key}-error` : ''}`}
                aria-invalid={fieldErrors[key] ? true : undefined}
              />
              <span id={`limit-${key}-about`} className="hint">
                {about}; {min.toLocaleString()}–{max.toLocaleString()}
              </span>
              {fieldErrors[key] ? (
                <span id={`limit-${key}-error`} className="field-error">
                  {fieldErrors[key]}
                </span>
              ) : null}
            </div>
          ))}
        </div>
        <div className="row">
          <button type="submit" disabled={save.isPending}>
            Save limits
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
        {save.error ? <ErrorState error={save.error} /> : null}
      </form>
    </section>
  );
}

/** The limits a tenant has of its own; the rest are the platform's defaults. */
const ownLimits = (t: Tenant) =>
  tenantLimits
    .filter(({ key }) => t[key] !== null)
    .map(({ key }) => `${key}: ${t[key]}`)
    .join(' · ') || 'all default';

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
      {({ data }) => {
        const edited = data.find((t) => t.id === editing);
        return data.length === 0 ? (
          <Empty>No tenants.</Empty>
        ) : (
          <>
            {status.error ? <ErrorState error={status.error} /> : null}
            <Table
              caption="Tenants"
              rows={data}
              rowKey={(t) => t.id}
              columns={[
                {
                  head: 'Tenant',
                  cell: (t) => (
                    <>
                      {t.name}
                      <br />
                      <code>{t.id}</code>
                    </>
                  ),
                },
                { head: 'Status', cell: (t) => <span className={`badge ${t.status}`}>{t.status}</span> },
                { head: 'Own limits', cell: ownLimits },
                {
                  head: 'Actions',
                  cell: (t) => (
                    <div className="actions">
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
                    </div>
                  ),
                },
              ]}
            />
            {edited ? <LimitsForm key={edited.id} tenant={edited} onDone={() => setEditing(null)} /> : null}
          </>
        );
      }}
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
          <Table
            caption="Queues"
            rows={data}
            rowKey={(q) => q.name}
            columns={[
              { head: 'Queue', cell: (q) => q.name },
              { head: 'Waiting', cell: (q) => q.queued },
              { head: 'Running', cell: (q) => q.active },
              { head: 'Oldest waiting', cell: (q) => (q.queued ? `${q.oldestQueuedSeconds} s` : '—') },
            ]}
          />
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
          <>
            {redrive.error ? <ErrorState error={redrive.error} /> : null}
            <Table
              caption="Dead-lettered turns"
              rows={data}
              rowKey={(t) => t.id}
              columns={[
                { head: 'Turn', cell: (t) => <code>{t.id}</code> },
                { head: 'Tenant', cell: (t) => <code>{t.tenantId}</code> },
                { head: 'Error', cell: (t) => t.error?.message ?? '—' },
                { head: 'Failed', cell: (t) => when(t.finishedAt) },
                {
                  head: 'Action',
                  cell: (t) => (
                    <button type="button" onClick={() => redrive.mutate(t)} disabled={redrive.isPending}>
                      Redrive {t.id.slice(-6)}
                    </button>
                  ),
                },
              ]}
            />
          </>
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
