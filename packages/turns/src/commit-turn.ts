import type { TenantTx } from '@warren/db';
import { holdLease, type TurnLease } from './fence.ts';
import { recordOutput } from './record-output.ts';

/**
 * The end of a successful turn, in the caller's one transaction: the final reply, the model
 * history, `processed_seq` moved to the end of the covered range, the turn marked succeeded
 * with its usage, and outbox rows for delivery. Fenced like every write of a turn.
 */
export async function commitTurn(
  tx: TenantTx,
  lease: TurnLease,
  result: { finalText: string; finalOutSeq: number; history: unknown[]; usage: { inputTokens: number; outputTokens: number } },
): Promise<void> {
  const { conversationId, toSeq } = await holdLease(tx, lease);
  await recordOutput(tx, lease, result.finalOutSeq, result.finalText);
  await tx.client.query(
    `UPDATE sessions SET history = $2, version = version + 1, updated_at = now() WHERE conversation_id = $1`,
    [conversationId, JSON.stringify(result.history)],
  );
  await tx.client.query(
    `UPDATE cursors SET processed_seq = GREATEST(processed_seq, $2), updated_at = now() WHERE conversation_id = $1`,
    [conversationId, toSeq],
  );
  await tx.client.query(
    `UPDATE turns SET status = 'succeeded', usage = $2, error = NULL, finished_at = now() WHERE id = $1`,
    [lease.turnId, result.usage],
  );
}
