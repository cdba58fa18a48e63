import { stripInternalTags } from '@warren/conversations';
import { newId, notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { recordEvent } from '@warren/events';
import { workerIsAlive } from './worker-liveness.ts';

// The turn state machine: every statement that moves a turn or a conversation's cursors lives
// here, written once. A turn goes
//
//   (new) ──claim──▶ running ──commit──▶ succeeded
//                    │  ▲  └──fail (after output, or last attempt)──▶ failed
//     fail (before   ▼  │ claim (next attempt)
//     output) ──▶ queued ──abandon / last attempt──▶ failed
//
// and a conversation's cursors `(processed_seq, seen_seq]` are the range some turn owns. A task
// turn (tied to a task run, `task_run_id`) moves the same way but covers no seqs, and one turn of
// either kind runs in a conversation at a time (both claims hold the cursor's row lock). Every
// write by a worker is fenced by `(turn id, attempt)`: a worker whose turn was taken over
// writes nothing.

const [QUEUED, RUNNING, SUCCEEDED, FAILED] = tenantSchema.turnStatuses;

/**
 * How long a running turn counts against its tenant's cap without its worker renewing it (every
 * third of it, so two renewals may fail). Short because it is how long a dead worker's turns keep
 * their tenant's slots: at 30 s a tenant whose worker was killed stood still for half a minute.
 */
export const TURN_LEASE_SECONDS = 6;

/** Why a turn failed, as the API shows it: a stable `kind` and a sentence for people. */
export interface TurnError {
  kind: TurnErrorKind;
  message: string;
}

export type TurnErrorKind =
  /** The runner reported an error (the model API failed, the turn input was refused, …). */
  | 'runner_error'
  /** The sandbox could not start or crashed. */
  | 'sandbox_error'
  /** The host failed the turn: an output could not be stored, or did not arrive. */
  | 'host_error'
  | 'output_quota'
  /** The turn ended with its workspace full (the quota, `workspace_bytes`): not retried. */
  | 'workspace_quota'
  | 'timeout'
  /** Its worker stopped after the turn had sent output: not re-run, that would repeat replies. */
  | 'worker_lost'
  /** The queue gave up on the turn's job and its attempts were used up. */
  | 'dead_lettered';

/** Who holds a turn: the turn id and the attempt that claimed it. */
export interface TurnLease {
  turnId: string;
  attempt: number;
}

/** A held turn with what its writes need: the conversation and the end of its covered range. */
export interface LeasedTurn extends TurnLease {
  conversationId: string;
  toSeq: number;
}

export interface ClaimedTurn extends LeasedTurn {
  /** The covered range is (fromSeq, toSeq]. */
  fromSeq: number;
  /** User messages in the range, oldest first: the turn's new input. */
  newMessages: Array<{ seq: number; sender: string | null; content: string }>;
  history: unknown[];
  /** Tokens of the last model call of the previous turn (the runner's report): how near the history is to compaction. */
  contextTokens: number;
  assistantName: string;
}

export class FencedOutError extends Error {
  override name = 'FencedOutError';
  constructor(lease: TurnLease) {
    super(`turn ${lease.turnId} attempt ${lease.attempt} was taken over; its writes are refused`);
  }
}

// ---- cursors

/** Counts the range up to `toSeq` as answered: the conversation moves on past it. */
async function closeRange(tx: TenantTx, conversationId: string, toSeq: number): Promise<void> {
  await tx.client.query(`UPDATE cursors SET processed_seq = GREATEST(processed_seq, $2), updated_at = now() WHERE conversation_id = $1`, [
    conversationId,
    toSeq,
  ]);
}

async function markFailed(tx: TenantTx, turnIds: string[], error: TurnError): Promise<void> {
  const { rows } = await tx.client.query<{ id: string; conversation_id: string; attempt: number }>(
    `UPDATE turns SET status = $3, error = $2, finished_at = now(), lease_expires_at = NULL WHERE id = ANY($1)
     RETURNING id, conversation_id, attempt`,
    [turnIds, error, FAILED],
  );
  for (const t of rows) await recordEvent(tx, 'turn.failed', t.conversation_id, { turnId: t.id, attempt: t.attempt, error });
}

// ---- claim

/**
 * Starts (or resumes) the conversation's turn, from the database alone. Under the cursor's row
 * lock: a turn left running by a dead worker either resumes — when it sent nothing yet, so
 * re-running is safe — or, when it already sent output, is closed and its range counted as
 * processed. The turn then covers every message since `processed_seq`, trigger or not;
 * `seen_seq` moves to its end. Returns null when there is nothing to answer.
 */
export async function claimTurn(
  tx: TenantTx,
  job: { conversationId: string; jobId: string; kind: 'message'; workerId?: string },
): Promise<ClaimedTurn | null> {
  const q = tx.client;
  const { rows: cursorRows } = await q.query<{ processed_seq: string; last_seq: string; assistant_name: string }>(
    `SELECT c.processed_seq, v.last_seq, v.assistant_name
       FROM cursors c JOIN conversations v ON v.id = c.conversation_id
      WHERE c.conversation_id = $1 FOR UPDATE OF c`,
    [job.conversationId],
  );
  const cursor = cursorRows[0];
  if (!cursor) return null; // the conversation is gone
  let processed = Number(cursor.processed_seq);

  const { rows: open } = await q.query<{ id: string; attempt: number; output_sent: boolean; to_seq: string }>(
    `SELECT id, attempt, output_sent, to_seq FROM turns WHERE conversation_id = $1 AND status IN ($2, $3) AND task_run_id IS NULL FOR UPDATE`,
    [job.conversationId, QUEUED, RUNNING],
  );
  const interrupted = open.filter((t) => t.output_sent);
  if (interrupted.length > 0) {
    await markFailed(
      tx,
      interrupted.map((t) => t.id),
      { kind: 'worker_lost', message: 'the worker stopped after the turn sent output; not re-run' },
    );
    processed = Math.max(processed, ...interrupted.map((t) => Number(t.to_seq)));
  }
  const resumed = open.find((t) => !t.output_sent);

  const toSeq = Number(cursor.last_seq);
  const { rows: messages } = await q.query<{ seq: string; sender: string | null; content: string }>(
    `SELECT seq, sender, content FROM messages
      WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND role = 'user' ORDER BY seq`,
    [job.conversationId, processed, toSeq],
  );
  if (messages.length === 0) {
    // Nothing new from users: only replies (which take seqs too) since the last turn.
    await q.query(
      'UPDATE cursors SET processed_seq = $2, seen_seq = GREATEST(seen_seq, $2), updated_at = now() WHERE conversation_id = $1',
      [job.conversationId, Math.max(processed, toSeq)],
    );
    if (resumed)
      await q.query(`UPDATE turns SET status = $2, finished_at = now(), lease_expires_at = NULL WHERE id = $1`, [resumed.id, SUCCEEDED]);
    return null;
  }

  const attempt = (resumed?.attempt ?? 0) + 1;
  const turnId = resumed?.id ?? newId('turn');
  await q.query(
    `INSERT INTO turns (id, conversation_id, kind, status, from_seq, to_seq, job_id, attempt, started_at, lease_expires_at, worker_id)
     VALUES ($1, $2, $3, $9, $4, $5, $6, $7, now(), now() + make_interval(secs => $8), $10)
     ON CONFLICT (id) DO UPDATE SET status = $9, attempt = $7, from_seq = $4, to_seq = $5, job_id = $6, started_at = now(),
       lease_expires_at = now() + make_interval(secs => $8), worker_id = $10`,
    [turnId, job.conversationId, job.kind, processed, toSeq, job.jobId, attempt, TURN_LEASE_SECONDS, RUNNING, job.workerId ?? null],
  );
  await recordEvent(tx, 'turn.started', job.conversationId, { turnId, attempt, kind: job.kind });
  await q.query('UPDATE cursors SET processed_seq = $2, seen_seq = $3, updated_at = now() WHERE conversation_id = $1', [
    job.conversationId,
    processed,
    toSeq,
  ]);
  const { rows: session } = await q.query<{ history: unknown[]; context_tokens: number }>(
    'SELECT history, context_tokens FROM sessions WHERE conversation_id = $1',
    [job.conversationId],
  );
  return {
    turnId,
    attempt,
    conversationId: job.conversationId,
    fromSeq: processed,
    toSeq,
    newMessages: messages.map((m) => ({ seq: Number(m.seq), sender: m.sender, content: m.content })),
    history: session[0]?.history ?? [],
    contextTokens: session[0]?.context_tokens ?? 0,
    assistantName: cursor.assistant_name,
  };
}

/**
 * Whether a turn other than `taskRunId`'s (null: a task turn, for a message claim) runs in the
 * conversation under a live lease and a live worker. Takes the cursor's row lock, which both
 * claims hold, so a message turn and a task turn never start side by side; ask it in the
 * claim's transaction.
 */
export async function otherTurnRuns(tx: TenantTx, conversationId: string, taskRunId: string | null): Promise<boolean> {
  await tx.client.query('SELECT 1 FROM cursors WHERE conversation_id = $1 FOR UPDATE', [conversationId]);
  const { rowCount } = await tx.client.query(
    `SELECT 1 FROM turns
      WHERE conversation_id = $1 AND status = $2 AND lease_expires_at > now() AND (worker_id IS NULL OR ${workerIsAlive('worker_id')})
        AND ${taskRunId === null ? 'task_run_id IS NOT NULL' : 'task_run_id IS DISTINCT FROM $3'}`,
    taskRunId === null ? [conversationId, RUNNING] : [conversationId, RUNNING, taskRunId],
  );
  return (rowCount ?? 0) > 0;
}

export interface ClaimedTaskTurn extends LeasedTurn {
  /** The model history the turn starts from: the conversation's, or none for an isolated task. */
  history: unknown[];
  assistantName: string;
}

/** How a task run's turn stands when its job comes (again). */
export type TaskTurnClaim =
  | { state: 'claimed'; turn: ClaimedTaskTurn }
  /** Another turn of the conversation runs: look again shortly. */
  | { state: 'conversation-busy' }
  /** Another worker runs this very turn (a duplicated job): nothing to do. */
  | { state: 'live' }
  /** The turn already ended (`worker_lost`: its worker died after it sent output; not re-run). */
  | { state: 'ended'; turnId: string; status: 'succeeded' | 'failed'; error: TurnError | null }
  | { state: 'gone' };

/**
 * Starts (or resumes) the turn of one task run, under the conversation's cursor lock like
 * `claimTurn`. The run has one turn: a turn left running by a dead worker resumes when it sent
 * nothing yet and is closed as `worker_lost` when it did; a running one with a live lease belongs
 * to another worker. The turn covers no seqs (`from_seq = to_seq =` the processed cursor).
 */
export async function claimTaskTurn(
  tx: TenantTx,
  run: { taskRunId: string; taskId: string; conversationId: string; isolated: boolean; jobId: string; workerId?: string },
): Promise<TaskTurnClaim> {
  const q = tx.client;
  const { rows: cursorRows } = await q.query<{ processed_seq: string; assistant_name: string }>(
    `SELECT c.processed_seq, v.assistant_name FROM cursors c JOIN conversations v ON v.id = c.conversation_id
      WHERE c.conversation_id = $1 FOR UPDATE OF c`,
    [run.conversationId],
  );
  const cursor = cursorRows[0];
  if (!cursor) return { state: 'gone' };
  const { rows: existing } = await q.query<{
    id: string;
    status: (typeof tenantSchema.turnStatuses)[number];
    attempt: number;
    output_sent: boolean;
    error: TurnError | null;
    live: boolean;
  }>(
    `SELECT id, status, attempt, output_sent, error,
            (status = $2 AND lease_expires_at > now() AND (worker_id IS NULL OR ${workerIsAlive('worker_id')})) AS live
       FROM turns WHERE task_run_id = $1 FOR UPDATE`,
    [run.taskRunId, RUNNING],
  );
  const prior = existing[0];
  if (prior?.status === SUCCEEDED || prior?.status === FAILED)
    return { state: 'ended', turnId: prior.id, status: prior.status, error: prior.error };
  if (prior?.live) return { state: 'live' };
  if (prior?.output_sent) {
    const error: TurnError = { kind: 'worker_lost', message: 'the worker stopped after the turn sent output; not re-run' };
    await markFailed(tx, [prior.id], error);
    return { state: 'ended', turnId: prior.id, status: FAILED, error };
  }
  if (await otherTurnRuns(tx, run.conversationId, run.taskRunId)) return { state: 'conversation-busy' };

  const processed = Number(cursor.processed_seq);
  const attempt = (prior?.attempt ?? 0) + 1;
  const turnId = prior?.id ?? newId('turn');
  await q.query(
    `INSERT INTO turns (id, conversation_id, kind, task_id, task_run_id, status, from_seq, to_seq, job_id, attempt, started_at, lease_expires_at, worker_id)
     VALUES ($1, $2, 'task', $3, $4, $5, $6, $6, $7, $8, now(), now() + make_interval(secs => $9), $10)
     ON CONFLICT (id) DO UPDATE SET status = $5, attempt = $8, job_id = $7, started_at = now(),
       lease_expires_at = now() + make_interval(secs => $9), worker_id = $10`,
    [
      turnId,
      run.conversationId,
      run.taskId,
      run.taskRunId,
      RUNNING,
      processed,
      run.jobId,
      attempt,
      TURN_LEASE_SECONDS,
      run.workerId ?? null,
    ],
  );
  const history = run.isolated
    ? []
    : ((await q.query<{ history: unknown[] }>('SELECT history FROM sessions WHERE conversation_id = $1', [run.conversationId])).rows[0]
        ?.history ?? []);
  return {
    state: 'claimed',
    turn: { turnId, attempt, conversationId: run.conversationId, toSeq: processed, history, assistantName: cursor.assistant_name },
  };
}

/**
 * The queue gave up on a task run's job: its open turn is marked failed (`dead_lettered`) unless
 * a live worker still holds it ('live': look again later).
 */
export async function abandonTaskTurn(tx: TenantTx, taskRunId: string): Promise<'closed' | 'live' | 'none'> {
  const { rows } = await tx.client.query<{ id: string; attempt: number; live: boolean }>(
    `SELECT id, attempt, (status = $3 AND lease_expires_at > now() AND (worker_id IS NULL OR ${workerIsAlive('worker_id')})) AS live
       FROM turns WHERE task_run_id = $1 AND status IN ($2, $3) FOR UPDATE`,
    [taskRunId, QUEUED, RUNNING],
  );
  const open = rows[0];
  if (!open) return 'none';
  if (open.live) return 'live';
  await markFailed(tx, [open.id], { kind: 'dead_lettered', message: `the queue gave up on this turn after ${open.attempt} attempt(s)` });
  return 'closed';
}

/**
 * Whether the tenant may start another turn: fewer than `cap` turns of its other conversations
 * hold a live lease under a live worker (its liveness lock held: a SIGKILLed worker's turns free
 * their slots at once, not when their leases lapse). A transaction advisory lock on the tenant
 * serializes this check with the claim that follows it in the same transaction, so two workers
 * cannot both take the last slot. This is the only place the cap is enforced: pg-boss's
 * groupConcurrency would count a dead worker's jobs as active until its heartbeat lapses, and
 * concurrent fetches overrun it (packages/queue/test/policies.test.ts). The conversation's own
 * turn is not counted: a turn resumed after its worker died keeps the slot it had.
 */
export async function tenantHasFreeSlot(tx: TenantTx, conversationId: string, cap: number): Promise<boolean> {
  await tx.client.query(`SELECT pg_advisory_xact_lock(hashtextextended('warren.turn-slots.' || current_schema(), 0))`);
  const { rows } = await tx.client.query<{ running: number }>(
    `SELECT count(*)::int AS running FROM turns
      WHERE status = $2 AND lease_expires_at > now() AND conversation_id <> $1 AND (worker_id IS NULL OR ${workerIsAlive('worker_id')})`,
    [conversationId, RUNNING],
  );
  return rows[0]!.running < cap;
}

// ---- lease

/**
 * Locks the turn row and proves the caller still holds it: a worker whose job expired and was
 * claimed again (attempt + 1) can no longer write. Returns the turn's covered range.
 */
export async function holdLease(tx: TenantTx, lease: TurnLease): Promise<{ conversationId: string; toSeq: number; outputSent: boolean }> {
  const { rows } = await tx.client.query<{ conversation_id: string; to_seq: string; output_sent: boolean }>(
    `SELECT conversation_id, to_seq, output_sent FROM turns WHERE id = $1 AND attempt = $2 AND status = $3 FOR UPDATE`,
    [lease.turnId, lease.attempt, RUNNING],
  );
  const row = rows[0];
  if (!row) throw new FencedOutError(lease);
  return { conversationId: row.conversation_id, toSeq: Number(row.to_seq), outputSent: row.output_sent };
}

/** Extends a running turn's lease; false when the caller no longer holds it (taken over or ended). */
export async function renewLease(tx: TenantTx, lease: TurnLease): Promise<boolean> {
  const { rowCount } = await tx.client.query(
    `UPDATE turns SET lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1 AND attempt = $2 AND status = $4`,
    [lease.turnId, lease.attempt, TURN_LEASE_SECONDS, RUNNING],
  );
  return rowCount === 1;
}

/**
 * Whether the attempt still runs with a live lease: the credential proxy's gate for a model
 * call made with the attempt's turn token. A turn that ended, was taken over or whose worker
 * died (lapsed lease) opens the model to no one.
 */
export async function leaseIsLive(tx: TenantTx, lease: TurnLease): Promise<boolean> {
  const { rowCount } = await tx.client.query(
    `SELECT 1 FROM turns WHERE id = $1 AND attempt = $2 AND status = $3 AND lease_expires_at > now()`,
    [lease.turnId, lease.attempt, RUNNING],
  );
  return rowCount === 1;
}

// ---- output

/**
 * Writes one assistant message of a turn — a `send_message` mid-turn or the final reply — with
 * the conversation's next seq and `<internal>` removed (the raw text kept). `(turn_id, out_seq)`
 * is unique, so writing the same output twice stores it once. Marks the turn as having sent
 * output, after which it is never re-run. Fenced: a taken-over worker cannot write.
 */
export async function recordOutput(
  tx: TenantTx,
  turn: LeasedTurn,
  outSeq: number,
  raw: string,
): Promise<{ messageId: string; seq: number } | null> {
  const [, written] = await Promise.all([holdLease(tx, turn), insertOutput(tx, turn, outSeq, raw)]);
  return written;
}

/**
 * The unfenced write, for callers that hold the lease in the same transaction: the message with
 * the next seq and `output_sent` in one statement, then its `message.created` event — or the
 * stored message when this output was written before.
 */
async function insertOutput(
  tx: TenantTx,
  turn: LeasedTurn,
  outSeq: number,
  raw: string,
): Promise<{ messageId: string; seq: number } | null> {
  const content = stripInternalTags(raw);
  if (content === '') return null; // nothing a customer should see
  const { rows } = await tx.client.query<{ id: string; seq: string; created_at: Date; fresh: boolean }>(
    `WITH existing AS (
       SELECT id, seq, created_at FROM messages WHERE turn_id = $3 AND out_seq = $4
     ), conv AS (
       UPDATE conversations SET last_seq = last_seq + 1, updated_at = now()
        WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM existing) RETURNING last_seq
     ), inserted AS (
       INSERT INTO messages (id, conversation_id, seq, role, content, raw_content, turn_id, out_seq)
       SELECT $1, $2, conv.last_seq, 'assistant', $5, $6, $3, $4 FROM conv
       RETURNING id, seq, created_at
     ), sent AS (
       UPDATE turns SET output_sent = true WHERE id = $3 AND EXISTS (SELECT 1 FROM inserted)
     )
     SELECT id, seq, created_at, true AS fresh FROM inserted UNION ALL SELECT id, seq, created_at, false FROM existing`,
    [newId('message'), turn.conversationId, turn.turnId, outSeq, content, raw],
  );
  const row = rows[0]!;
  const written = { messageId: row.id, seq: Number(row.seq) };
  if (row.fresh) {
    await recordEvent(tx, 'message.created', turn.conversationId, {
      ...written,
      role: 'assistant',
      sender: null,
      content,
      turnId: turn.turnId,
      createdAt: row.created_at.toISOString(),
    });
  }
  return written;
}

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

// ---- the end of a turn

/**
 * The end of a successful turn, in the caller's one transaction: the final reply, the model
 * history, the range closed, the turn marked succeeded, and its events. Not the
 * usage: the credential proxy adds what it metered (`addTurnUsage`). The writes are pipelined
 * behind the fence, and a refused fence rolls them back with the transaction.
 */
export async function commitTurn(
  tx: TenantTx,
  turn: LeasedTurn,
  result: { finalText: string; finalOutSeq: number; history: unknown[]; contextTokens?: number },
): Promise<void> {
  // pipelined: after the first statement that fails, the others fail with "current transaction is aborted"; report the cause
  const settled = await Promise.allSettled([
    holdLease(tx, turn),
    insertOutput(tx, turn, result.finalOutSeq, result.finalText),
    tx.client.query(
      `UPDATE sessions SET history = $2, context_tokens = $3, version = version + 1, updated_at = now() WHERE conversation_id = $1`,
      [turn.conversationId, JSON.stringify(result.history), result.contextTokens ?? 0],
    ),
    closeRange(tx, turn.conversationId, turn.toSeq),
    tx.client.query(`UPDATE turns SET status = $2, error = NULL, finished_at = now(), lease_expires_at = NULL WHERE id = $1`, [
      turn.turnId,
      SUCCEEDED,
    ]),
  ]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  // after the final reply's message.created, so streams see the reply before the turn's end
  await recordEvent(tx, 'turn.succeeded', turn.conversationId, { turnId: turn.turnId, attempt: turn.attempt });
}

/**
 * The end of a task turn that ran, in the caller's transaction (which also records the task run):
 * its final reply posted to the conversation (none for a run its pre-check skipped) and, for a
 * task in the conversation's context, the model history. No seqs to close: it covered none.
 */
export async function commitTaskTurn(
  tx: TenantTx,
  turn: LeasedTurn,
  result: { finalText: string; finalOutSeq: number; history: unknown[] | null },
): Promise<void> {
  const settled = await Promise.allSettled([
    holdLease(tx, turn),
    insertOutput(tx, turn, result.finalOutSeq, result.finalText),
    result.history === null
      ? Promise.resolve()
      : tx.client.query(`UPDATE sessions SET history = $2, version = version + 1, updated_at = now() WHERE conversation_id = $1`, [
          turn.conversationId,
          JSON.stringify(result.history),
        ]),
    tx.client.query(`UPDATE turns SET status = $2, error = NULL, finished_at = now(), lease_expires_at = NULL WHERE id = $1`, [
      turn.turnId,
      SUCCEEDED,
    ]),
  ]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
}

export type FailureOutcome = 'retry' | 'advanced' | 'dead';

/**
 * A turn that failed. Before any output it may run again: nothing advances and the turn waits
 * `queued` for its next attempt (`final: false`), or — attempts used up — it is marked failed and
 * its range closed so the conversation is not stuck on it. After output was sent it is never
 * re-run (that would duplicate replies): the range is closed at once.
 */
export async function failTurn(tx: TenantTx, lease: TurnLease, error: TurnError, final: boolean): Promise<FailureOutcome> {
  const { conversationId, toSeq, outputSent } = await holdLease(tx, lease);
  if (!outputSent && !final) {
    await tx.client.query(`UPDATE turns SET status = $3, error = $2, lease_expires_at = NULL WHERE id = $1`, [lease.turnId, error, QUEUED]);
    return 'retry';
  }
  await markFailed(tx, [lease.turnId], error);
  await closeRange(tx, conversationId, toSeq);
  return outputSent ? 'advanced' : 'dead';
}

/**
 * The queue gave up on a conversation's `turn` job without its worker closing the turn. A turn
 * that may still run — no output sent and attempts left (`maxAttempts`) — is left open: the
 * caller sends a new job for it ('retry'). Otherwise it is marked failed, visible in the API,
 * and its range closed ('closed'). 'live' while a worker still holds its lease (look again later).
 */
export async function abandonTurns(
  tx: TenantTx,
  conversationId: string,
  maxAttempts: number,
): Promise<'closed' | 'retry' | 'live' | 'none'> {
  const { rows } = await tx.client.query<{ id: string; to_seq: string; attempt: number; output_sent: boolean; live: boolean }>(
    `SELECT id, to_seq, attempt, output_sent, (status = $3 AND lease_expires_at > now()) AS live FROM turns
      WHERE conversation_id = $1 AND status IN ($2, $3) AND task_run_id IS NULL FOR UPDATE`,
    [conversationId, QUEUED, RUNNING],
  );
  if (rows.length === 0) return 'none';
  if (rows.some((r) => r.live)) return 'live';
  if (rows.every((r) => !r.output_sent && r.attempt < maxAttempts)) return 'retry';
  await markFailed(
    tx,
    rows.map((r) => r.id),
    { kind: 'dead_lettered', message: `the queue gave up on this turn after ${Math.max(...rows.map((r) => r.attempt))} attempt(s)` },
  );
  await closeRange(tx, conversationId, Math.max(...rows.map((r) => Number(r.to_seq))));
  return 'closed';
}

export type RedriveOutcome = 'redriven' | 'not_dead_lettered' | 'moved_on';

/**
 * An operator sends a dead-lettered turn back: it waits `queued` again with fresh attempts and
 * the conversation's cursor moves back to where the turn began, so the next claim re-runs its
 * range (and whatever arrived since). Only a turn that sent no output, while nothing in the
 * conversation is queued or running and no later turn answered past it ('moved_on'). The
 * caller sends the conversation's job in the same transaction.
 */
export async function redriveTurn(tx: TenantTx, turnId: string): Promise<{ outcome: RedriveOutcome; conversationId: string }> {
  const q = tx.client;
  const { rows } = await q.query<{ conversation_id: string; from_seq: string; to_seq: string; dead: boolean }>(
    `SELECT conversation_id, from_seq, to_seq, (status = $2 AND NOT output_sent AND error->>'kind' = 'dead_lettered') AS dead
       FROM turns WHERE id = $1`,
    [turnId, FAILED],
  );
  const turn = rows[0];
  if (!turn) throw notFound('turn');
  const conversationId = turn.conversation_id;
  if (!turn.dead) return { outcome: 'not_dead_lettered', conversationId };
  const { rows: cursor } = await q.query<{ processed_seq: string }>(
    'SELECT processed_seq FROM cursors WHERE conversation_id = $1 FOR UPDATE',
    [conversationId],
  );
  const { rows: open } = await q.query('SELECT 1 FROM turns WHERE conversation_id = $1 AND status IN ($2, $3)', [
    conversationId,
    QUEUED,
    RUNNING,
  ]);
  if (open.length > 0 || cursor[0]?.processed_seq !== turn.to_seq) return { outcome: 'moved_on', conversationId };
  await q.query(
    `UPDATE turns SET status = $2, attempt = 0, error = NULL, started_at = NULL, finished_at = NULL, lease_expires_at = NULL WHERE id = $1`,
    [turnId, QUEUED],
  );
  await q.query('UPDATE cursors SET processed_seq = $2, updated_at = now() WHERE conversation_id = $1', [conversationId, turn.from_seq]);
  return { outcome: 'redriven', conversationId };
}
