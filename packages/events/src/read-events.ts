import type { TenantTx } from '@warren/db';
import type { EventType } from './record-event.ts';

// Why `(xid, id)` and not `id` alone: identity values are handed out when a row is inserted,
// not when its transaction commits, so event 9 may commit after event 10 — a reader that had
// passed 10 would never see 9. Every event row carries its transaction's id (xid8), and readers
// take only rows of transactions older than the oldest one still running
// (`pg_snapshot_xmin(pg_current_snapshot())`): all of those have ended, so no row can appear
// later below that horizon. Read in `(xid, id)` order, a position only ever grows past rows that
// are final. Writers pay nothing for it (no counter row to lock); the price is that an event
// waits for every transaction that began before its own to end — milliseconds, except behind
// a long transaction. The SSE id stays the event's `id`; its xid is looked up on resume.

/** Where a reader stands: after the event at `(xid, id)`. */
export interface Position {
  xid: bigint;
  id: number;
}

export const START: Position = { xid: 0n, id: 0 };

export interface StoredEvent extends Position {
  type: EventType;
  conversationId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export function comparePositions(a: Position, b: Position): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  return a.id - b.id;
}

const horizon = 'xid < pg_snapshot_xmin(pg_current_snapshot())';

// `xid_text`, not `xid`: ORDER BY would take the text output column by that name and sort 999 after 1000.
interface EventRow {
  id: string;
  xid_text: string;
  type: EventType;
  conversation_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

/** Final events after `after` (up to `through`, when given), in position order. */
export async function readEvents(
  tx: TenantTx,
  after: Position,
  options: { limit: number; conversationId?: string | undefined; through?: Position | undefined },
): Promise<StoredEvent[]> {
  const values: unknown[] = [after.xid.toString(), after.id, options.limit];
  let where = `(xid, id) > ($1::xid8, $2) AND ${horizon}`;
  if (options.conversationId !== undefined) {
    values.push(options.conversationId);
    where += ` AND conversation_id = $${values.length}`;
  }
  if (options.through) {
    values.push(options.through.xid.toString(), options.through.id);
    where += ` AND (xid, id) <= ($${values.length - 1}::xid8, $${values.length})`;
  }
  const { rows } = await tx.client.query<EventRow>(
    `SELECT id, xid::text AS xid_text, type, conversation_id, payload, created_at FROM events WHERE ${where} ORDER BY xid, id LIMIT $3`,
    values,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    xid: BigInt(r.xid_text),
    type: r.type,
    conversationId: r.conversation_id,
    payload: r.payload,
    createdAt: r.created_at,
  }));
}

/**
 * The position of the last final event (a reader starting here sees every event not yet final),
 * and of the last committed one, which may be past it while an older transaction runs.
 */
export async function headPosition(tx: TenantTx): Promise<{ head: Position; latest: Position }> {
  const last = async (where: string): Promise<Position> => {
    const { rows } = await tx.client.query<{ id: string; xid_text: string }>(
      `SELECT id, xid::text AS xid_text FROM events ${where} ORDER BY xid DESC, id DESC LIMIT 1`,
    );
    const row = rows[0];
    return row ? { xid: BigInt(row.xid_text), id: Number(row.id) } : START;
  };
  return { head: await last(`WHERE ${horizon}`), latest: await last('') };
}

/** The position of the event with this id (a client's Last-Event-ID), or null when there is none. */
export async function positionOf(tx: TenantTx, id: number): Promise<Position | null> {
  const { rows } = await tx.client.query<{ xid: string }>(`SELECT xid::text FROM events WHERE id = $1`, [id]);
  return rows[0] ? { xid: BigInt(rows[0].xid), id } : null;
}

/** Parses a NOTIFY payload of EVENTS_CHANNEL. */
export function parseNotification(payload: string): { tenantId: string; position: Position } | null {
  const match = /^(ten_[0-9a-z]{26}) (\d+) (\d+)$/.exec(payload);
  return match ? { tenantId: match[1]!, position: { xid: BigInt(match[2]!), id: Number(match[3]) } } : null;
}
