import type { TenantTx } from '@warren/db';

/** Who holds a turn: the turn id and the attempt that claimed it. */
export interface TurnLease {
  turnId: string;
  attempt: number;
}

/** A held turn with what its writes need: the conversation and the end of its covered range. */
export interface LeasedTurn extends TurnLease {
  conversationId: string;
  toSeq: number;
}

/**
 * How long a running turn counts against its tenant's cap without its worker renewing it.
 * Longer than the queue's heartbeat, so a live turn never lapses between renewals.
 */
export const TURN_LEASE_SECONDS = 30;

export class FencedOutError extends Error {
  override name = 'FencedOutError';
  constructor(lease: TurnLease) {
    super(`turn ${lease.turnId} attempt ${lease.attempt} was taken over; its writes are refused`);
  }
}

/**
 * Locks the turn row and proves the caller still holds it: a worker whose job expired and was
 * claimed again (attempt + 1) can no longer write. Returns the turn's covered range.
 */
export async function holdLease(tx: TenantTx, lease: TurnLease): Promise<{ conversationId: string; toSeq: number; outputSent: boolean }> {
  const { rows } = await tx.client.query<{ conversation_id: string; to_seq: string; output_sent: boolean }>(
    `SELECT conversation_id, to_seq, output_sent FROM turns
      WHERE id = $1 AND attempt = $2 AND status = 'running' FOR UPDATE`,
    [lease.turnId, lease.attempt],
  );
  const row = rows[0];
  if (!row) throw new FencedOutError(lease);
  return { conversationId: row.conversation_id, toSeq: Number(row.to_seq), outputSent: row.output_sent };
}

/** Extends a running turn's lease; false when the caller no longer holds it (taken over or ended). */
export async function renewLease(tx: TenantTx, lease: TurnLease): Promise<boolean> {
  const { rowCount } = await tx.client.query(
    `UPDATE turns SET lease_expires_at = now() + make_interval(secs => $3)
      WHERE id = $1 AND attempt = $2 AND status = 'running'`,
    [lease.turnId, lease.attempt, TURN_LEASE_SECONDS],
  );
  return rowCount === 1;
}

/**
 * Whether the attempt still runs with a live lease: the credential proxy's gate for a model
 * call made with the attempt's turn token. A turn that ended, was taken over or whose worker
 * died (lapsed lease) opens the model to no one.
 */
export async function leaseIsLive(tx: TenantTx, lease: TurnLease): Promise<boolean> {
  const { rowCount } = await tx.client.query(
    `SELECT 1 FROM turns WHERE id = $1 AND attempt = $2 AND status = 'running' AND lease_expires_at > now()`,
    [lease.turnId, lease.attempt],
  );
  return rowCount === 1;
}
