import { stripInternalTags } from '@warren/conversations';
import { newId } from '@warren/core';
import type { TenantTx } from '@warren/db';
import { holdLease, type TurnLease } from './fence.ts';

/**
 * Writes one assistant message of a turn — a `send_message` mid-turn or the final reply — with
 * the conversation's next seq and `<internal>` removed (the raw text kept). `(turn_id, out_seq)`
 * is unique, so writing the same output twice stores it once. Marks the turn as having sent
 * output, after which it is never re-run. Fenced: a taken-over worker cannot write.
 */
export async function recordOutput(tx: TenantTx, lease: TurnLease, outSeq: number, raw: string): Promise<{ messageId: string; seq: number } | null> {
  const { conversationId } = await holdLease(tx, lease);
  const content = stripInternalTags(raw);
  if (content === '') return null; // nothing a customer should see
  const { rows } = await tx.client.query<{ id: string; seq: string; created: boolean }>(
    `WITH existing AS (
       SELECT id, seq FROM messages WHERE turn_id = $3 AND out_seq = $4
     ), conv AS (
       UPDATE conversations SET last_seq = last_seq + 1, updated_at = now()
        WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM existing) RETURNING last_seq
     ), inserted AS (
       INSERT INTO messages (id, conversation_id, seq, role, content, raw_content, turn_id, out_seq)
       SELECT $1, $2, conv.last_seq, 'assistant', $5, $6, $3, $4 FROM conv
       RETURNING id, seq
     )
     SELECT id, seq, true AS created FROM inserted UNION ALL SELECT id, seq, false FROM existing`,
    [newId('message'), conversationId, lease.turnId, outSeq, content, raw],
  );
  const row = rows[0]!;
  if (row.created) {
    await tx.client.query('UPDATE turns SET output_sent = true WHERE id = $1', [lease.turnId]);
    await tx.client.query(`INSERT INTO outbox (id, event, payload) VALUES ($1, 'message.created', $2)`, [
      newId('outbox'),
      { conversationId, messageId: row.id, seq: Number(row.seq), turnId: lease.turnId },
    ]);
  }
  return { messageId: row.id, seq: Number(row.seq) };
}
