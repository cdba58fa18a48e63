import type { TenantTx } from '@warren/db';

/**
 * Whether the tenant may start another turn: fewer than `cap` turns of its other conversations
 * hold a live lease. A transaction advisory lock on the tenant serializes this check with the
 * claim that follows it in the same transaction, so two workers cannot both take the last slot
 * (pg-boss's groupConcurrency counts at fetch time and can be overrun by concurrent fetches —
 * packages/queue/test/policies.test.ts). The conversation's own turn is not counted: a turn
 * resumed after its worker died keeps the slot it had.
 */
export async function tenantHasFreeSlot(tx: TenantTx, conversationId: string, cap: number): Promise<boolean> {
  await tx.client.query(`SELECT pg_advisory_xact_lock(hashtextextended('warren.turn-slots.' || current_schema(), 0))`);
  const { rows } = await tx.client.query<{ running: number }>(
    `SELECT count(*)::int AS running FROM turns
      WHERE status = 'running' AND lease_expires_at > now() AND conversation_id <> $1`,
    [conversationId],
  );
  return rows[0]!.running < cap;
}
