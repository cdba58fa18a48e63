import type { TenantTx } from '@warren/db';

/** NOTIFYed by every event's transaction: `<tenant id> <xid> <event id>`; API processes wake their streams. */
export const EVENTS_CHANNEL = 'warren_events';

export const eventTypes = ['message.created', 'turn.started', 'turn.succeeded', 'turn.failed'] as const;
export type EventType = (typeof eventTypes)[number];

/**
 * Records that something happened, in the transaction that did it: the event and the NOTIFY
 * that wakes streams once the transaction commits. One statement, so a caller may pipeline it.
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
     )
     SELECT e.id, pg_notify('${EVENTS_CHANNEL}', $4 || ' ' || e.xid || ' ' || e.id) FROM e`,
    [type, conversationId, payload, tx.tenantId],
  );
  return { id: Number(rows[0]!.id) };
}
