import { stripInternalTags } from '@warren/conversations';
import { newId } from '@warren/core';
import type { TenantTx } from '@warren/db';
import { holdLease, type LeasedTurn } from './fence.ts';

/**
 * Writes one assistant message of a turn — a `send_message` mid-turn or the final reply — with
 * the conversation's next seq and `<internal>` removed (the raw text kept). `(turn_id, out_seq)`
 * is unique, so writing the same output twice stores it once. Marks the turn as having sent
 * output, after which it is never re-run. Fenced: a taken-over worker cannot write.
 */
export async function recordOutput(tx: TenantTx, turn: LeasedTurn, outSeq: number, raw: string): Promise<{ messageId: string; seq: number } | null> {
  const [, written] = await Promise.all([holdLease(tx, turn), insertOutput(tx, turn, outSeq, raw)]);
  return written;
}

/**
 * The unfenced write, for callers that hold the lease in the same transaction. One statement:
 * the message with the next seq, `output_sent`, and its outbox row — or the stored message when
 * this output was written before.
 */
export async function insertOutput(tx: TenantTx, turn: LeasedTurn, outSeq: number, raw: string): Promise<{ messageId: string; seq: number } | null> {
  const content = stripInternalTags(raw);
  if (content === '') return null; // nothing a customer should see
  const { rows } = await tx.client.query<{ id: string; seq: string }>(
    `WITH existing AS (
       SELECT id, seq FROM messages WHERE turn_id = $3 AND out_seq = $4
     ), conv AS (
       UPDATE conversations SET last_seq = last_seq + 1, updated_at = now()
        WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM existing) RETURNING last_seq
     ), inserted AS (
       INSERT INTO messages (id, conversation_id, seq, role, content, raw_content, turn_id, out_seq)
       SELECT $1, $2, conv.last_seq, 'assistant', $5, $6, $3, $4 FROM conv
       RETURNING id, seq
     ), sent AS (
       UPDATE turns SET output_sent = true WHERE id = $3 AND EXISTS (SELECT 1 FROM inserted)
     ), outbox_row AS (
       INSERT INTO outbox (id, event, payload)
       SELECT $7, 'message.created', jsonb_build_object('conversationId', $2::text, 'messageId', id, 'seq', seq, 'turnId', $3::text)
         FROM inserted
     )
     SELECT id, seq FROM inserted UNION ALL SELECT id, seq FROM existing`,
    [newId('message'), turn.conversationId, turn.turnId, outSeq, content, raw, newId('outbox')],
  );
  const row = rows[0]!;
  return { messageId: row.id, seq: Number(row.seq) };
}
