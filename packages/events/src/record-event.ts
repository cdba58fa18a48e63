import type { TenantTx } from '@warren/db';

/** NOTIFYed by every event's transaction: `<tenant id> <xid> <event id>`; API processes wake their streams. */
export const EVENTS_CHANNEL = 'warren_events';
/** NOTIFYed with the tenant id when webhook deliveries became due; workers send them. */
export const DELIVERIES_CHANNEL = 'warren_deliveries';

export const eventTypes = ['message.created', 'turn.started', 'turn.succeeded', 'turn.failed'] as const;
export type EventType = (typeof eventTypes)[number];

/**
 * Records that something happened, in the transaction that did it: the event, a webhook
 * delivery for each enabled endpoint that wants its type, and the NOTIFYs that wake streams
 * and workers once the transaction commits. One statement, so a caller may pipeline it.
 */
export async function recordEvent(
  tx: TenantTx,
  type: EventType,
  conversationId: string | null,
  payload: Record<string, unknown>,
): Promise<{ id: number }> {
  const { rows } = await tx.client.query<{ id: string }>(
    `WITH e AS (
       INSERT INTO events (type, conversation_id, payload) VALUES ($1, $2, $3) RETURNING id, xid
     ), d AS (
       INSERT INTO webhook_deliveries (endpoint_id, event_id)
       SELECT w.id, e.id FROM webhook_endpoints w, e
        WHERE w.enabled AND (cardinality(w.event_types) = 0 OR $1 = ANY (w.event_types))
       RETURNING 1
     )
     SELECT e.id,
            pg_notify('${EVENTS_CHANNEL}', $4 || ' ' || e.xid || ' ' || e.id),
            CASE WHEN EXISTS (SELECT 1 FROM d) THEN pg_notify('${DELIVERIES_CHANNEL}', $4) END
       FROM e`,
    [type, conversationId, payload, tx.tenantId],
  );
  return { id: Number(rows[0]!.id) };
}
