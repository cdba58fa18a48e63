import { useState } from 'react';
import { ApiError, type WebhookEndpoint, type WebhookEventType } from './api.ts';
import { FormActions, fieldErrors } from './field-errors.tsx';

export const webhookEventTypes: WebhookEventType[] = ['message.created', 'turn.started', 'turn.succeeded', 'turn.failed'];

export const eventTypesText = (types: WebhookEventType[]) => (types.length === 0 ? 'all events' : types.join(', '));

export interface EndpointFields {
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
}

/**
 * The fields an endpoint is created or changed with. The API's refusals show at their field: a
 * validation error by its path, a refused destination (422 destination-refused) at the URL.
 */
export function EndpointForm({
  idPrefix,
  initial,
  error,
  pending,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  idPrefix: string;
  initial: EndpointFields;
  error: unknown;
  pending: boolean;
  submitLabel: string;
  onSubmit: (fields: EndpointFields) => void;
  onCancel?: () => void;
}) {
  const [fields, setFields] = useState(initial);
  const refused = error instanceof ApiError ? error : null;
  const errorAt: Record<string, string | undefined> = {
    url: refused?.problem === 'destination-refused' ? refused.message : refused?.fields.url,
    description: refused?.fields.description,
    eventTypes: refused?.fields.eventTypes,
  };
  const { atAField, describedBy: described, invalid, message: fieldError } = fieldErrors(idPrefix, errorAt);
  const toggle = (type: WebhookEventType, on: boolean) =>
    setFields({ ...fields, eventTypes: on ? [...fields.eventTypes, type] : fields.eventTypes.filter((t) => t !== type) });
  return (
    <form
      className="endpoint-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(fields);
      }}
    >
      <div className="field">
        <label htmlFor={`${idPrefix}-url`}>URL</label>
        <input
          id={`${idPrefix}-url`}
          type="url"
          required
          maxLength={2048}
          placeholder="https://example.com/warren-events"
          value={fields.url}
          onChange={(e) => setFields({ ...fields, url: e.target.value })}
          aria-describedby={described('url')}
          aria-invalid={invalid('url')}
        />
        {fieldError('url')}
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-description`}>Description</label>
        <input
          id={`${idPrefix}-description`}
          maxLength={500}
          value={fields.description}
          onChange={(e) => setFields({ ...fields, description: e.target.value })}
          aria-describedby={described('description')}
          aria-invalid={invalid('description')}
        />
        {fieldError('description')}
      </div>
      <fieldset aria-describedby={described('eventTypes', `${idPrefix}-types-hint`)}>
        <legend>Event types</legend>
        {webhookEventTypes.map((type) => (
          <label key={type}>
            <input type="checkbox" checked={fields.eventTypes.includes(type)} onChange={(e) => toggle(type, e.target.checked)} />
            {type}
          </label>
        ))}
        <span id={`${idPrefix}-types-hint`} className="hint">
          None checked: every type, including ones added later.
        </span>
        {fieldError('eventTypes')}
      </fieldset>
      <FormActions submitLabel={submitLabel} pending={pending} onCancel={onCancel} error={error} atAField={atAField} />
    </form>
  );
}

/** A signing secret the API shows once: copy it now, it cannot be read again. */
export function SecretOnce({ secret, about, onDone }: { secret: string; about: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed'); // no clipboard access (permissions, an insecure origin): selecting by hand still works
    }
  };
  return (
    <div className="notice" role="status">
      <p>
        <strong>Signing secret of {about}, shown once:</strong> copy it now and store it with the receiver; it cannot be shown again.
      </p>
      <code className="secret" data-testid="new-secret">
        {secret}
      </code>
      <div className="row">
        <button type="button" onClick={copy}>
          Copy secret
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
        {copied === 'yes' ? <span>Copied.</span> : null}
        {copied === 'failed' ? <span>Copying was not allowed: select the secret and copy it.</span> : null}
      </div>
    </div>
  );
}

export function EndpointStatus({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.enabled) return <span className="badge enabled">enabled</span>;
  return <span className="badge disabled">disabled ({endpoint.disabledReason === 'failing' ? 'kept failing' : 'by hand'})</span>;
}

export const failureRun = (endpoint: WebhookEndpoint) =>
  endpoint.consecutiveFailures === 0
    ? 'none'
    : `${endpoint.consecutiveFailures} failed in a row${endpoint.failingSince ? ` since ${new Date(endpoint.failingSince).toLocaleString()}` : ''}`;
