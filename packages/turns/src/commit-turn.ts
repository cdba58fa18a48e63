import type { TenantTx } from '@warren/db';
import { holdLease, type LeasedTurn } from './fence.ts';
import { insertOutput } from './record-output.ts';

/**
 * The end of a successful turn, in the caller's one transaction: the final reply, the model
 * history, `processed_seq` moved to the end of the covered range, the turn marked succeeded,
 * and outbox rows for delivery. Not the usage: what the runner reports counts for nothing; the
 * credential proxy adds what it metered to the turn (`addTurnUsage`). Fenced like every write
 * of a turn; the writes are pipelined behind the fence, and a refused fence rolls them back
 * with the transaction.
 */
export async function commitTurn(
  tx: TenantTx,
  turn: LeasedTurn,
  result: { finalText: string; finalOutSeq: number; history: unknown[] },
): Promise<void> {
  const q = tx.client;
  // pipelined: after the first statement that fails, the others fail with "current transaction is aborted"; report the cause
  const settled = await Promise.allSettled([
    holdLease(tx, turn),
    insertOutput(tx, turn, result.finalOutSeq, result.finalText),
    q.query(`UPDATE sessions SET history = $2, version = version + 1, updated_at = now() WHERE conversation_id = $1`, [
      turn.conversationId,
      JSON.stringify(result.history),
    ]),
    q.query(`UPDATE cursors SET processed_seq = GREATEST(processed_seq, $2), updated_at = now() WHERE conversation_id = $1`, [
      turn.conversationId,
      turn.toSeq,
    ]),
    q.query(`UPDATE turns SET status = 'succeeded', error = NULL, finished_at = now() WHERE id = $1`, [turn.turnId]),
  ]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
}
