import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Page, type WebhookDelivery, type WebhookDeliveryDetail, type WebhookEndpoint } from '../api.ts';
import { Empty, ErrorState, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';

/** The delivery log refreshes by polling while the page is visible (TanStack Query pauses it in a hidden tab). */
export const POLL_MS = 2000;
const PAGE = 20;
const RESPONSE_SHOWN = 200;
const statuses = ['pending', 'sending', 'succeeded', 'failed'] as const;
type Status = (typeof statuses)[number];

/** Why a delivery cannot be sent again now, or null when it can (the API answers 409 in the same cases). */
function redeliverBlocked(delivery: WebhookDelivery, endpoint: WebhookEndpoint): string | null {
  if (!endpoint.enabled) return 'The endpoint is disabled: enable it to send again.';
  if (delivery.status === 'pending' || delivery.status === 'sending')
    return `The delivery is ${delivery.status}: an attempt is already coming.`;
  return null;
}

function Attempts({ id, endpoint }: { id: string; endpoint: WebhookEndpoint }) {
  const queryClient = useQueryClient();
  const delivery = useQuery({
    queryKey: ['webhook-delivery', id],
    queryFn: () => api<WebhookDeliveryDetail>(`/v1/webhook-deliveries/${id}`),
    refetchInterval: POLL_MS,
  });
  const redeliver = useMutation({
    mutationFn: () => api<WebhookDelivery>(`/v1/webhook-deliveries/${id}/redeliver`, { method: 'POST' }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['webhook-delivery', id] }),
        queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', endpoint.id] }),
      ]),
  });
  return (
    <section aria-labelledby="attempts-of" className="panel">
      <h3 id="attempts-of">
        Attempts of <code>{id}</code>
      </h3>
      <Loaded query={delivery} what="attempts">
        {(d) => {
          const blocked = redeliverBlocked(d, endpoint);
          return (
            <>
              <p>
                {d.eventType}, <span className={`badge ${d.status}`}>{d.status}</span>
                {d.nextAttemptAt ? `, next attempt ${when(d.nextAttemptAt)}` : ''}
              </p>
              <div className="row">
                <button
                  type="button"
                  onClick={() => redeliver.mutate()}
                  disabled={blocked !== null || redeliver.isPending}
                  aria-describedby={blocked ? 'redeliver-blocked' : undefined}
                >
                  Redeliver
                </button>
                {blocked ? (
                  <span id="redeliver-blocked" className="hint">
                    {blocked}
                  </span>
                ) : (
                  <span className="hint">One more attempt now, with the same webhook-id; no retries follow it.</span>
                )}
              </div>
              {redeliver.error ? <ErrorState error={redeliver.error} /> : null}
              {d.attemptLog.length === 0 ? (
                <Empty>No attempt yet.</Empty>
              ) : (
                <Table
                  caption={`Attempts of delivery ${d.id}`}
                  rows={d.attemptLog}
                  rowKey={(a) => String(a.attempt)}
                  rowAttributes={(a) => ({ 'data-attempt-trigger': a.trigger, 'data-attempt-status': String(a.statusCode ?? 'none') })}
                  columns={[
                    { head: 'Attempt', cell: (a) => `${a.attempt} (${a.trigger})` },
                    { head: 'Started', cell: (a) => when(a.startedAt) },
                    { head: 'Duration', cell: (a) => `${a.durationMs} ms` },
                    { head: 'Status code', cell: (a) => a.statusCode ?? 'none' },
                    { head: 'Error', cell: (a) => a.error ?? '—' },
                    {
                      head: 'Response',
                      cell: (a) =>
                        a.responseBody ? (
                          <code className="response">
                            {a.responseBody.length > RESPONSE_SHOWN ? `${a.responseBody.slice(0, RESPONSE_SHOWN)}…` : a.responseBody}
                          </code>
                        ) : (
                          '—'
                        ),
                    },
                  ]}
                />
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** An endpoint's deliveries, newest first, a page at a time; the one chosen shows its attempts below. */
export function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [status, setStatus] = useState<Status | ''>('');
  // the `before` cursor of each page shown so far: the last is the current page
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [chosen, setChosen] = useState<string | null>(null);
  const before = cursors.at(-1);
  const query = new URLSearchParams({ limit: String(PAGE), ...(status ? { status } : {}), ...(before ? { before } : {}) });
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', endpoint.id, query.toString()],
    queryFn: () => api<Page<WebhookDelivery>>(`/v1/webhook-endpoints/${endpoint.id}/deliveries?${query}`),
    refetchInterval: POLL_MS,
  });
  return (
    <section aria-labelledby="deliveries">
      <h2 id="deliveries">Deliveries</h2>
      <div className="row">
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status | '');
              setCursors([undefined]);
            }}
          >
            <option value="">any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span className="hint">Newest first; refreshed every {POLL_MS / 1000} s.</span>
      </div>
      <Loaded query={deliveries} what="deliveries">
        {(page) => (
          <>
            {page.data.length === 0 ? (
              <Empty>{status || before ? 'No deliveries here.' : 'No deliveries yet: they appear as events happen.'}</Empty>
            ) : (
              <Table
                caption="Deliveries"
                rows={page.data}
                rowKey={(d) => d.id}
                rowAttributes={(d) => ({ 'data-delivery-status': d.status })}
                columns={[
                  {
                    head: 'Delivery',
                    cell: (d) => (
                      <button
                        type="button"
                        className="link"
                        onClick={() => setChosen(d.id)}
                        aria-pressed={chosen === d.id}
                        aria-label={`Attempts of ${d.id}`}
                      >
                        {d.id}
                      </button>
                    ),
                  },
                  { head: 'Event', cell: (d) => d.eventType },
                  { head: 'Status', cell: (d) => <span className={`badge ${d.status}`}>{d.status}</span> },
                  { head: 'Attempts', cell: (d) => d.attempts },
                  { head: 'Last error', cell: (d) => d.lastError ?? '—' },
                  { head: 'Created', cell: (d) => when(d.createdAt) },
                ]}
              />
            )}
            <div className="row">
              {cursors.length > 1 ? (
                <button type="button" onClick={() => setCursors([undefined])}>
                  Newest
                </button>
              ) : null}
              {page.next ? (
                <button type="button" onClick={() => setCursors([...cursors, page.next ?? undefined])}>
                  Older
                </button>
              ) : null}
            </div>
          </>
        )}
      </Loaded>
      {chosen ? <Attempts key={chosen} id={chosen} endpoint={endpoint} /> : null}
    </section>
  );
}
