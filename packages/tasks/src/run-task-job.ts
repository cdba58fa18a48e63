import { type Pool, withTenant } from '@warren/db';
import type { TaskRunJob, TurnQueue } from '@warren/queue';
import { runTaskTurn, type TaskTurnEnd, type TaskTurnResult, type TurnJobDeps, type TurnJobRun } from '@warren/turns';
import { finishRun, startRun } from './task-state.ts';

export interface TaskJobDeps {
  turns: TurnJobDeps;
  queue: TurnQueue;
  /** A run that starts later than this after its time was missed (see planRun). */
  missedAfterMs: number;
  /** How long a pre-check script may run. */
  precheckTimeoutMs: number;
}

export type TaskJobResult = TaskTurnResult | 'recorded' | 'stale';

/**
 * One `task` job of the turn queue: record the run (and send the next) once, then run its turn.
 * Exactly once: the run row is keyed by (task, scheduled_for), the turn by its run, and the turn's
 * end and the run's record share a transaction. 'tenant-busy' / 'conversation-busy': the caller
 * sends the job again shortly, and the run resumes where it stands.
 */
export async function runTaskJob(deps: TaskJobDeps, job: Omit<TurnJobRun, 'data'> & { data: TaskRunJob }): Promise<TaskJobResult> {
  const { tenantId, taskId, scheduledFor } = job.data;
  const pool: Pool = deps.turns.pool;
  const start = await withTenant(pool, tenantId, (tx) => startRun(tx, deps.queue, taskId, new Date(scheduledFor), deps.missedAfterMs));
  if (start.state !== 'run') return start.state;
  const { runId, task } = start.run;
  return runTaskTurn(
    deps.turns,
    {
      ...job,
      tenantId,
      conversationId: task.conversationId,
      taskId,
      taskRunId: runId,
      prompt: task.prompt,
      isolated: task.context === 'isolated',
      ...(task.precheckScript ? { precheck: { script: task.precheckScript, timeoutMs: deps.precheckTimeoutMs } } : {}),
    },
    (tx, end) => finishRun(tx, runId, runEnd(end)),
  );
}

function runEnd(end: TaskTurnEnd): Parameters<typeof finishRun>[2] {
  if (end.status === 'failed') return { status: 'failed', reason: `${end.error.kind}: ${end.error.message}`, turnId: end.turnId };
  const outcome = end.precheck?.outcome;
  if (outcome === 'skipped' || outcome === 'precheck_failed')
    return { status: outcome, reason: end.precheck?.reason ?? null, turnId: end.turnId };
  return { status: 'succeeded', turnId: end.turnId };
}
