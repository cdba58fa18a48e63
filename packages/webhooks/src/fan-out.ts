import { newId } from '@warren/core';
import { asAppRole, type TenantTx } from '@warren/db';
import { comparePositions, headPosition, type Position, readEvents, type StoredEvent } from '@warren/events';
import type { WebhookQueue } from '@warren/queue';

/** Events read per endpoint per page, and pages per fan-out job (a longer backlog continues in the next job). */
const PAGE = 500;
const MAX_PAGES = 20;

export interface FanOutResult {
  deliveries: number;
  /** Events remain: a page limit was reached, or a committed event is not final yet (an older transaction runs). */
  more: 'now' | 'soon' | false;
}

/** The body every attempt of a delivery sends (Standard Webhooks' `{type, timestamp, data}`). */
export const webhookPayload = (event: StoredEvent) => ({
  type: event.type,
  timestamp: event.createdAt.toISOString(),
  data: { eventId: event.id, conversationId: event.conversationId, ...event.payload },
});

/**
 * Turns the tenant's new events into deliveries: for each enabled endpoint, the final events
 * after its position (read as event streams read them, so none is skipped) become one delivery
 * each when their type is wanted, the position moves past them, and each delivery's first
 * attempt is sent as a job — all in this transaction, so each event becomes a delivery exactly
 * once whatever fails. The endpoints' rows are locked: a second fan-out of the tenant waits.
 */
export async function fanOut(tx: TenantTx, queue: WebhookQueue): Promise<FanOutResult> {
  const { rows: endpoints } = await tx.client.query<{ id: string; event_types: string[]; cursor_xid: string; cursor_id: string }>(
    `SELECT id, event_types, cursor_xid::text, cursor_id FROM webhook_endpoints WHERE enabled ORDER BY id FOR UPDATE`,
  );
  let deliveries = 0;
  let pagesLeft = false;
  for (const endpoint of endpoints) {
    let position: Position = { xid: BigInt(endpoint.cursor_xid), id: Number(endpoint.cursor_id) };
    const start = position;
    const wanted = (e: StoredEvent) => endpoint.event_types.length === 0 || endpoint.event_types.includes(e.type);
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) {
        pagesLeft = true;
        break;
      }
      const events = await readEvents(tx, position, { limit: PAGE });
      deliveries += await createDeliveries(tx, queue, endpoint.id, events.filter(wanted));
      if (events.length > 0) position = events.at(-1)!;
      if (events.length < PAGE) break;
    }
    if (comparePositions(position, start) > 0) {
      await tx.client.query('UPDATE webhook_endpoints SET cursor_xid = $2::xid8, cursor_id = $3 WHERE id = $1', [
        endpoint.id,
        position.xid.toString(),
        position.id,
      ]);
    }
  }
  if (pagesLeft) return { deliveries, more: 'now' };
  if (endpoints.length === 0) return { deliveries, more: false };
  const { head, latest } = await headPosition(tx);
  return { deliveries, more: comparePositions(latest, head) > 0 ? 'soon' : false };
}

async function createDeliveries(tx: TenantTx, queue: WebhookQueue, endpointId: string, events: StoredEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  // ON CONFLICT: an event already delivered to this endpoint (its position was moved back by hand) is not sent twice.
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, next_attempt_at)
     SELECT d.id, $1, d.event_id, d.event_type, d.payload, now()
       FROM jsonb_to_recordset($2::jsonb) AS d(id text, event_id bigint, event_type text, payload jsonb)
     ON CONFLICT (endpoint_id, event_id) DO NOTHING
     RETURNING id`,
    [
      endpointId,
      JSON.stringify(events.map((e) => ({ id: newId('webhookDelivery'), event_id: e.id, event_type: e.type, payload: webhookPayload(e) }))),
    ],
  );
  await asAppRole(tx, () =>
    queue.sendDeliveries(
      tx.client,
      rows.map((r) => ({ tenantId: tx.tenantId, deliveryId: r.id })),
    ),
  );
  return rows.length;
}
