import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, type Page, type WebhookEndpoint, type WebhookEndpointWithSecret } from '../api.ts';
import { Empty, ErrorState, Loaded } from '../states.tsx';
import { Table } from '../table.tsx';
import { type EndpointFields, EndpointForm, EndpointStatus, eventTypesText, failureRun, SecretOnce } from '../webhook-forms.tsx';

const empty: EndpointFields = { url: '', description: '', eventTypes: [] };

/** The tenant's outbound webhook endpoints: create one (its secret shown once), see their health, switch them on or off. */
export function Webhooks() {
  const queryClient = useQueryClient();
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints'],
    queryFn: () => api<Page<WebhookEndpoint>>('/v1/webhook-endpoints?limit=100'),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['webhook-endpoints'] });
  const [created, setCreated] = useState<WebhookEndpointWithSecret | null>(null);
  const [formKey, setFormKey] = useState(0); // a new key empties the form after a creation
  const create = useMutation({
    mutationFn: (fields: EndpointFields) => api<WebhookEndpointWithSecret>('/v1/webhook-endpoints', { method: 'POST', body: fields }),
    onSuccess: async (endpoint) => {
      setCreated(endpoint);
      setFormKey((k) => k + 1);
      await refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (e: WebhookEndpoint) => api(`/v1/webhook-endpoints/${e.id}`, { method: 'PATCH', body: { enabled: !e.enabled } }),
    onSuccess: refresh,
  });
  return (
    <>
      <h1>Webhooks</h1>
      <p>Events of your conversations are POSTed to these URLs as they happen, signed per Standard Webhooks with the endpoint's secret.</p>
      <section aria-labelledby="new-endpoint">
        <h2 id="new-endpoint">New endpoint</h2>
        <EndpointForm
          key={formKey}
          idPrefix="new"
          initial={empty}
          error={create.error}
          pending={create.isPending}
          submitLabel="Create endpoint"
          onSubmit={(fields) => create.mutate(fields)}
        />
        {created ? <SecretOnce secret={created.secret} about={created.url} onDone={() => setCreated(null)} /> : null}
      </section>
      <section aria-labelledby="endpoints">
        <h2 id="endpoints">Endpoints</h2>
        {toggle.error ? <ErrorState error={toggle.error} /> : null}
        <Loaded query={endpoints} what="webhook endpoints">
          {({ data }) =>
            data.length === 0 ? (
              <Empty>No endpoints yet: create one above, or through the API.</Empty>
            ) : (
              <Table
                caption="Webhook endpoints"
                rows={data}
                rowKey={(e) => e.id}
                columns={[
                  {
                    head: 'Endpoint',
                    cell: (e) => (
                      <>
                        <Link href={`/webhooks/${e.id}`}>{e.url}</Link>
                        {e.description ? <div className="meta">{e.description}</div> : null}
                      </>
                    ),
                  },
                  { head: 'Events', cell: (e) => eventTypesText(e.eventTypes) },
                  { head: 'Status', cell: (e) => <EndpointStatus endpoint={e} /> },
                  { head: 'Failures', cell: failureRun },
                  {
                    head: 'Action',
                    cell: (e) => (
                      <button
                        type="button"
                        onClick={() => toggle.mutate(e)}
                        disabled={toggle.isPending}
                        aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}
                      >
                        {e.enabled ? 'Disable' : 'Enable'}
                      </button>
                    ),
                  },
                ]}
              />
            )
          }
        </Loaded>
      </section>
    </>
  );
}
