import type { TenantTx } from '@warren/db';

/**
 * Adds one model call's metered tokens to its turn. Only the credential proxy calls this, after
 * the call and before it ends the response, so the figure is durable before the runner can report
 * the turn done; what the runner reports counts for nothing. Unfenced on purpose: every attempt's
 * calls, and a call still finishing after its turn ended, were spent on this turn. False when the
 * turn is gone (its conversation deleted).
 */
export async function addTurnUsage(tx: TenantTx, turnId: string, usage: { inputTokens: number; outputTokens: number }): Promise<boolean> {
  const { rowCount } = await tx.client.query(
    `UPDATE turns SET usage = jsonb_build_object(
            'inputTokens', coalesce((usage->>'inputTokens')::bigint, 0) + $2,
            'outputTokens', coalesce((usage->>'outputTokens')::bigint, 0) + $3)
      WHERE id = $1`,
    [turnId, usage.inputTokens, usage.outputTokens],
  );
  return rowCount === 1;
}
