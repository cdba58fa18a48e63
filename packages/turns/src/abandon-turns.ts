import type { TenantTx } from '@warren/db';

/**
 * A conversation's `turn` job was dead-lettered: the queue gave up on it without the worker
 * closing its turn (the last attempt's worker died, or every attempt failed before the turn was
 * claimed). Its open turn is marked failed — visible in the API — and its range counted as
 * processed, as `failTurn` does on a final failure, so the conversation is not stuck on it.
 * Returns 'live' while some worker still holds the turn's lease: the caller should look again later.
 */
export async function abandonTurns(tx: TenantTx, conversationId: string, reason: string): Promise<'closed' | 'live' | 'none'> {
  const { rows } = await tx.client.query<{ id: string; to_seq: string; live: boolean }>(
    `SELECT id, to_seq, (status = 'running' AND lease_expires_at > now()) AS live FROM turns
      WHERE conversation_id = $1 AND status IN ('queued', 'running') FOR UPDATE`,
    [conversationId],
  );
  if (rows.length === 0) return 'none';
  if (rows.some((r) => r.live)) return 'live';
  await tx.client.query(
    `UPDATE turns SET status = 'failed', finished_at = now(), lease_expires_at = NULL, error = $2 WHERE id = ANY($1)`,
    [rows.map((r) => r.id), { message: reason, kind: 'dead_lettered' }],
  );
  await tx.client.query(`UPDATE cursors SET processed_seq = GREATEST(processed_seq, $2), updated_at = now() WHERE conversation_id = $1`, [
    conversationId,
    Math.max(...rows.map((r) => Number(r.to_seq))),
  ]);
  return 'closed';
}
