import type { TenantTx } from '@warren/db';

// The statements on `sandbox_owners`: which worker may run a sandbox of a conversation. One row
// per conversation, so at most one worker anywhere holds it; a lapsed lease is a dead worker's.

/**
 * Takes (or keeps) the conversation for `workerId`: free, already its own, or the holder's
 * lease lapsed. Otherwise the holder is asked to let go (`release_requested_at`, kept from the
 * first ask) and false is returned.
 */
export async function takeOwnership(tx: TenantTx, conversationId: string, workerId: string, leaseSeconds: number): Promise<boolean> {
  const { rowCount } = await tx.client.query(
    `INSERT INTO sandbox_owners AS o (conversation_id, worker_id, lease_expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3))
     ON CONFLICT (conversation_id) DO UPDATE
        SET worker_id = $2, lease_expires_at = EXCLUDED.lease_expires_at, release_requested_at = NULL, updated_at = now()
      WHERE o.worker_id = $2 OR o.lease_expires_at <= now()`,
    [conversationId, workerId, leaseSeconds],
  );
  if (rowCount === 1) return true;
  await tx.client.query(
    `UPDATE sandbox_owners SET release_requested_at = coalesce(release_requested_at, now()) WHERE conversation_id = $1`,
    [conversationId],
  );
  return false;
}

/**
 * Extends the leases `workerId` still holds among `conversationIds`; a conversation missing
 * from the answer was taken over (its lease had lapsed). `asked`: another worker has been
 * waiting for it longer than `graceSeconds`.
 */
export async function renewOwnership(
  tx: TenantTx,
  conversationIds: string[],
  workerId: string,
  leaseSeconds: number,
  graceSeconds: number,
): Promise<Array<{ conversationId: string; asked: boolean }>> {
  const { rows } = await tx.client.query<{ conversation_id: string; asked: boolean }>(
    `UPDATE sandbox_owners SET lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
      WHERE worker_id = $1 AND conversation_id = ANY($2)
      RETURNING conversation_id, coalesce(release_requested_at < now() - make_interval(secs => $4), false) AS asked`,
    [workerId, conversationIds, leaseSeconds, graceSeconds],
  );
  return rows.map((r) => ({ conversationId: r.conversation_id, asked: r.asked }));
}

export async function releaseOwnership(tx: TenantTx, conversationIds: string[], workerId: string): Promise<void> {
  await tx.client.query(`DELETE FROM sandbox_owners WHERE worker_id = $1 AND conversation_id = ANY($2)`, [workerId, conversationIds]);
}
