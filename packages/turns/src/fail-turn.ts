import type { TenantTx } from '@warren/db';
import { holdLease, type TurnLease } from './fence.ts';

export type FailureOutcome = 'retry' | 'advanced' | 'dead';

/**
 * A turn that failed. Before any output it may run again: nothing advances and the job is
 * retried (`final: false`), or — retries exhausted — it is marked failed and its range counted
 * as processed so the conversation is not stuck on it. After output was sent it is never
 * re-run (that would duplicate replies): the range counts as processed at once.
 */
export async function failTurn(tx: TenantTx, lease: TurnLease, error: { message: string; kind?: string }, final: boolean): Promise<FailureOutcome> {
  const { conversationId, toSeq, outputSent } = await holdLease(tx, lease);
  if (!outputSent && !final) {
    await tx.client.query(`UPDATE turns SET status = 'queued', error = $2 WHERE id = $1`, [lease.turnId, error]);
    return 'retry';
  }
  await tx.client.query(`UPDATE turns SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [lease.turnId, error]);
  await tx.client.query(
    `UPDATE cursors SET processed_seq = GREATEST(processed_seq, $2), updated_at = now() WHERE conversation_id = $1`,
    [conversationId, toSeq],
  );
  return outputSent ? 'advanced' : 'dead';
}
