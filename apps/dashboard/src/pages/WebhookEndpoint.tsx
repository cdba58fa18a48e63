import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, type WebhookEndpoint, type WebhookEndpointWithSecret } from '../api.ts';
import { ConfirmDelete } from '../confirm-delete.tsx';
import { ErrorState, Loaded, when } from '../states.tsx';
import { type EndpointFields, EndpointForm, EndpointStatus, eventTypesText, failureRun, SecretOnce } from '../webhook-forms.tsx';
import { Deliveries, POLL_MS } from './WebhookDeliveries.tsx';

const overlaps = [
  [0, 'none: the old secret stops at once'],
  [3600, '1 hour'],
  [86_400, '24 hours'],
  [7 * 86_400, '7 days'],
] as const;

function Rotate({ endpoint, onDone }: { endpoint: WebhookEndpoint; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [overlapSeconds, setOverlap] = useState(86_400);
  const rotate = useMutation({
    mutationFn: () =>
      api<WebhookEndpointWithSecret>(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { method: 'POST', body: { overlapSeconds } }),
    onSuccess: ({ secret: _shownOnce, ...rotated }) => queryClient.setQueryData(['webhook-endpoint', endpoint.id], rotated),
  });
  if (rotate.data) {
    return (
      <>
        <SecretOnce secret={rotate.data.secret} about={rotate.data.url} onDone={onDone} />
        {rotate.data.previousSecretExpiresAt ? (
          <p>The old secret also signs until {when(rotate.data.previousSecretExpiresAt)}.</p>
        ) : (
          <p>The old secret no longer signs.</p>
        )}
      </>
    );
  }
  return (
    <form
      className="row"
      aria-label="Rotate the signing secret"
      onSubmit={(e) => {
        e.preventDefault();
        rotate.mutate();
      }}
    >
      <label>
        Old secret keeps signing for{' '}
        <select value={overlapSeconds} onChange={(e) => setOverlap(Number(e.target.value))}>
          {overlaps.map(([seconds, label]) => (
            <option key={seconds} value={seconds}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={rotate.isPending}>
        Rotate secret
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {rotate.error ? <ErrorState error={rotate.error} /> : null}
    </form>
  );
}

function Manage({ endpoint }: { endpoint: WebhookEndpoint }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [panel, setPanel] = useState<'edit' | 'rotate' | 'delete' | null>(null);
  const saved = async (changed: WebhookEndpoint) => {
    queryClient.setQueryData(['webhook-endpoint', endpoint.id], changed);
    await queryClient.invalidateQueries({ queryKey: ['webhook-endpoints'] });
  };
  const patch = (body: Partial<EndpointFields> | { enabled: boolean }) =>
    api<WebhookEndpoint>(`/v1/webhook-endpoints/${endpoint.id}`, { method: 'PATCH', body });
  const toggle = useMutation({ mutationFn: () => patch({ enabled: !endpoint.enabled }), onSuccess: saved });
  const edit = useMutation({
    mutationFn: patch,
    onSuccess: async (changed) => {
      await saved(changed);
      setPanel(null);
    },
  });
  const remove = useMutation({
    mutationFn: () => api(`/v1/webhook-endpoints/${endpoint.id}`, { method: 'DELETE' }),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['webhook-endpoint', endpoint.id] });
      await queryClient.invalidateQueries({ queryKey: ['webhook-endpoints'] });
      navigate('/webhooks');
    },
  });
  const open = (next: typeof panel) => {
    edit.reset();
    setPanel(next);
  };
  return (
    <>
      <div className="actions">
        <button type="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
          {endpoint.enabled ? 'Disable endpoint' : 'Enable endpoint'}
        </button>
        <button type="button" onClick={() => open('edit')} aria-expanded={panel === 'edit'}>
          Edit endpoint
        </button>
        <button type="button" onClick={() => open('rotate')} aria-expanded={panel === 'rotate'}>
          Rotate secret…
        </button>
        <button type="button" onClick={() => open('delete')} aria-expanded={panel === 'delete'}>
          Delete endpoint…
        </button>
      </div>
      {toggle.error ? <ErrorState error={toggle.error} /> : null}
      {!endpoint.enabled ? (
        <p className="hint">
          Enabling clears the failure run; events that happened while it was disabled are not sent.
          {endpoint.disabledReason === 'failing' ? ' It was disabled after a long run of failed attempts.' : ''}
        </p>
      ) : null}
      {panel === 'edit' ? (
        <section aria-labelledby="edit-endpoint" className="panel">
          <h2 id="edit-endpoint">Edit endpoint</h2>
          <EndpointForm
            idPrefix="edit"
            initial={{ url: endpoint.url, description: endpoint.description, eventTypes: endpoint.eventTypes }}
            error={edit.error}
            pending={edit.isPending}
            submitLabel="Save endpoint"
            onSubmit={(fields) => edit.mutate(fields)}
            onCancel={() => setPanel(null)}
          />
        </section>
      ) : null}
      {panel === 'rotate' ? (
        <section aria-labelledby="rotate-secret" className="panel">
          <h2 id="rotate-secret">Rotate secret</h2>
          <p>A new secret signs from now on; during the overlap every delivery carries both signatures, so the receiver can switch.</p>
          <Rotate endpoint={endpoint} onDone={() => setPanel(null)} />
        </section>
      ) : null}
      {panel === 'delete' ? (
        <ConfirmDelete headingId="delete-endpoint" title="Delete endpoint" deletion={remove} onKeep={() => setPanel(null)}>
          Delete <strong>{endpoint.url}</strong> with its delivery log? Nothing more is sent to it.
        </ConfirmDelete>
      ) : null}
    </>
  );
}

/** One endpoint: its settings and health, what can be done with it, and its delivery log. */
export function WebhookEndpointView({ id }: { id: string }) {
  // its health (failure run, disabled by failing) changes as deliveries fail: read as often as they are
  const endpoint = useQuery({
    queryKey: ['webhook-endpoint', id],
    queryFn: () => api<WebhookEndpoint>(`/v1/webhook-endpoints/${id}`),
    refetchInterval: POLL_MS,
  });
  return (
    <>
      <p>
        <Link href="/webhooks">← All endpoints</Link>
      </p>
      <Loaded query={endpoint} what="webhook endpoint">
        {(e) => (
          <>
            <h1>
              Endpoint <span className="url">{e.url}</span>
            </h1>
            <dl className="facts">
              <dt>Description</dt>
              <dd>{e.description || '—'}</dd>
              <dt>Events</dt>
              <dd>{eventTypesText(e.eventTypes)}</dd>
              <dt>Status</dt>
              <dd>
                <EndpointStatus endpoint={e} />
              </dd>
              <dt>Failures</dt>
              <dd>{failureRun(e)}</dd>
              {e.previousSecretExpiresAt && new Date(e.previousSecretExpiresAt) > new Date() ? (
                <>
                  <dt>Previous secret</dt>
                  <dd>signs until {when(e.previousSecretExpiresAt)}</dd>
                </>
              ) : null}
            </dl>
            <Manage endpoint={e} />
            <Deliveries endpoint={e} />
          </>
        )}
      </Loaded>
    </>
  );
}
