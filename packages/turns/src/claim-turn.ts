import { newId } from '@warren/core';
import type { TenantTx } from '@warren/db';
import { TURN_LEASE_SECONDS, type LeasedTurn } from './fence.ts';

export interface ClaimedTurn extends LeasedTurn {
  /** The covered range is (fromSeq, toSeq]. */
  fromSeq: number;
  /** User messages in the range, oldest first: the turn's new input. */
  newMessages: Array<{ seq: number; sender: string | null; content: string }>;
  history: unknown[];
  assistantName: string;
}

/**
 * Starts (or resumes) the conversation's turn, from the database alone. Under the cursor's row
 * lock: a turn left running by a dead worker either resumes — when it sent nothing yet, so
 * re-running is safe — or, when it already sent output, is closed and its range counted as
 * processed (a re-run would duplicate replies). The turn then covers every message since
 * `processed_seq`, trigger or not; `seen_seq` moves to its end. Returns null when there is
 * nothing to answer (the trigger was already covered by an earlier turn).
 */
export async function claimTurn(
  tx: TenantTx,
  job: { conversationId: string; jobId: string; kind: 'message' | 'task' },
): Promise<ClaimedTurn | null> {
  const { rows: cursorRows } = await tx.client.query<{ processed_seq: string; last_seq: string; assistant_name: string }>(
    `SELECT c.processed_seq, v.last_seq, v.assistant_name
       FROM cursors c JOIN conversations v ON v.id = c.conversation_id
      WHERE c.conversation_id = $1 FOR UPDATE OF c`,
    [job.conversationId],
  );
  const cursor = cursorRows[0];
  if (!cursor) return null; // the conversation is gone
  let processed = Number(cursor.processed_seq);

  const { rows: open } = await tx.client.query<{ id: string; attempt: number; output_sent: boolean; to_seq: string }>(
    `SELECT id, attempt, output_sent, to_seq FROM turns
      WHERE conversation_id = $1 AND status IN ('running', 'queued') FOR UPDATE`,
    [job.conversationId],
  );
  let resumed: { id: string; attempt: number } | undefined;
  for (const turn of open) {
    if (turn.output_sent) {
      processed = Math.max(processed, Number(turn.to_seq));
      await tx.client.query(
        `UPDATE turns SET status = 'failed', finished_at = now(),
                error = '{"message":"the worker stopped after sending output; not re-run"}'
          WHERE id = $1`,
        [turn.id],
      );
    } else {
      resumed = { id: turn.id, attempt: turn.attempt };
    }
  }

  const toSeq = Number(cursor.last_seq);
  const { rows: messages } = await tx.client.query<{ seq: string; sender: string | null; content: string }>(
    `SELECT seq, sender, content FROM messages
      WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND role = 'user' ORDER BY seq`,
    [job.conversationId, processed, toSeq],
  );
  if (messages.length === 0) {
    // Nothing new from users: only replies (which take seqs too) since the last turn.
    await tx.client.query(
      'UPDATE cursors SET processed_seq = $2, seen_seq = GREATEST(seen_seq, $2), updated_at = now() WHERE conversation_id = $1',
      [job.conversationId, Math.max(processed, toSeq)],
    );
    if (resumed) await tx.client.query(`UPDATE turns SET status = 'succeeded', finished_at = now() WHERE id = $1`, [resumed.id]);
    return null;
  }

  const attempt = (resumed?.attempt ?? 0) + 1;
  const turnId = resumed?.id ?? newId('turn');
  if (resumed) {
    await tx.client.query(
      `UPDATE turns SET status = 'running', attempt = $2, from_seq = $3, to_seq = $4, job_id = $5, started_at = now(),
              lease_expires_at = now() + make_interval(secs => $6)
        WHERE id = $1`,
      [turnId, attempt, processed, toSeq, job.jobId, TURN_LEASE_SECONDS],
    );
  } else {
    await tx.client.query(
      `INSERT INTO turns (id, conversation_id, kind, status, from_seq, to_seq, job_id, attempt, started_at, lease_expires_at)
       VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, now(), now() + make_interval(secs => $8))`,
      [turnId, job.conversationId, job.kind, processed, toSeq, job.jobId, attempt, TURN_LEASE_SECONDS],
    );
  }
  await tx.client.query('UPDATE cursors SET processed_seq = $2, seen_seq = $3, updated_at = now() WHERE conversation_id = $1', [
    job.conversationId,
    processed,
    toSeq,
  ]);

  const { rows: session } = await tx.client.query<{ history: unknown[] }>('SELECT history FROM sessions WHERE conversation_id = $1', [
    job.conversationId,
  ]);
  return {
    turnId,
    attempt,
    conversationId: job.conversationId,
    fromSeq: processed,
    toSeq,
    newMessages: messages.map((m) => ({ seq: Number(m.seq), sender: m.sender, content: m.content })),
    history: session[0]?.history ?? [],
    assistantName: cursor.assistant_name,
  };
}
