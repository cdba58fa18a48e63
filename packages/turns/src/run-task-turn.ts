import { type TenantTx, withTenant } from '@warren/db';
import { TextDeltaPublisher } from '@warren/events';
import type { PrecheckResult, TurnInput } from '@warren/ipc';
import { TURN_MAX_ATTEMPTS } from '@warren/queue';
import { OutputQuota } from './output-quota.ts';
import {
  defaultSystemPrompt,
  keepLease,
  RunnerError,
  TurnFailedError,
  type TurnJobDeps,
  type TurnJobRun,
  turnError,
} from './run-turn-job.ts';
import {
  type ClaimedTaskTurn,
  claimTaskTurn,
  commitTaskTurn,
  FencedOutError,
  failTurn,
  recordOutput,
  type TurnError,
  tenantHasFreeSlot,
} from './turn-state.ts';

/** One run of a scheduled task, as its job names it and the task row holds it. */
export interface TaskTurnRun extends Omit<TurnJobRun, 'data'> {
  tenantId: string;
  conversationId: string;
  taskId: string;
  taskRunId: string;
  prompt: string;
  isolated: boolean;
  precheck?: NonNullable<TurnInput['precheck']>;
}

/** How a task's turn ended, for its run's record (written in the turn's own final transaction). */
export type TaskTurnEnd =
  | { status: 'succeeded'; turnId: string; precheck?: PrecheckResult }
  | { status: 'failed'; turnId: string; error: TurnError };

export type RecordTaskTurn = (tx: TenantTx, end: TaskTurnEnd) => Promise<void>;

export type TaskTurnResult = 'answered' | 'skipped' | 'failed' | 'tenant-busy' | 'conversation-busy' | 'live' | 'gone';

/**
 * Runs a task run's turn in the conversation's sandbox: claimed under the tenant's cap and the
 * conversation's lock, the pre-check and the model turn in one runner input, outputs written as
 * they arrive, and the end recorded with the run (`record`) in the turn's final transaction, so a
 * run is answered once: a redelivered job finds the turn live (another worker has it), resumes it
 * (its worker died before any output), or closes it `worker_lost` (after output) and records
 * that. Throws TurnFailedError like runTurnJob, for the queue to retry.
 */
export async function runTaskTurn(deps: TurnJobDeps, run: TaskTurnRun, record: RecordTaskTurn): Promise<TaskTurnResult> {
  const held = deps.ownership ? await deps.ownership.takeForTurn(run.tenantId, run.conversationId) : () => {};
  if (!held) return 'conversation-busy';
  try {
    return await runHeld(deps, run, record);
  } finally {
    held();
  }
}

async function runHeld(deps: TurnJobDeps, run: TaskTurnRun, record: RecordTaskTurn): Promise<TaskTurnResult> {
  const { tenantId, conversationId } = run;
  const tenant = <T>(fn: (tx: TenantTx) => Promise<T>) => withTenant(deps.pool, tenantId, fn);
  const log = deps.logger.child({ tenantId, conversationId, taskId: run.taskId, taskRunId: run.taskRunId, jobId: run.id });

  const claim = await tenant(async (tx) => {
    if (!(await tenantHasFreeSlot(tx, conversationId, run.tenantCap))) return { state: 'tenant-busy' as const };
    const claimed = await claimTaskTurn(tx, { ...run, jobId: run.id, workerId: deps.workerId });
    if (claimed.state === 'ended') {
      await record(
        tx,
        claimed.status === 'succeeded'
          ? { status: 'succeeded', turnId: claimed.turnId }
          : { status: 'failed', turnId: claimed.turnId, error: claimed.error! },
      );
    }
    return claimed;
  });
  if (claim.state === 'ended') return claim.status === 'succeeded' ? 'answered' : 'failed';
  if (claim.state !== 'claimed') return claim.state;
  const turn = claim.turn;
  const turnLog = log.child({ turnId: turn.turnId, attempt: turn.attempt });
  const lease = keepLease(turn, tenant, turnLog);
  const quota = new OutputQuota(run.outputLimits);
  const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
  const deltas = new TextDeltaPublisher(deps.pool, turnLog);
  try {
    const sandbox = await deps.sandboxes.acquire(tenantId, conversationId, run.sandboxLimits);
    let outcome;
    try {
      outcome = await sandbox.runTurn(taskInput(deps, run, turn, sandbox.sandboxId), {
        signal: AbortSignal.any([run.signal, lease.lost, timeout]),
        onMessage: async (message) => {
          quota.take(message.text);
          await tenant((tx) => recordOutput(tx, turn, message.seq, message.text));
        },
        onTaskRequest: deps.taskRequests && ((request) => deps.taskRequests!({ tenantId, conversationId }, request)),
        onDelta: (delta) => deltas.publish({ tenantId, conversationId, turnId: turn.turnId, attempt: turn.attempt, ...delta }),
      });
    } finally {
      deps.sandboxes.release(sandbox);
    }
    if (outcome.status !== 'ok') throw new RunnerError(outcome.error ?? 'the runner reported an error');
    quota.take(outcome.finalText, true);
    const woke = !outcome.precheck || outcome.precheck.outcome === 'woke';
    // published before the commit, so that live streams get a turn's deltas before its message.created
    await deltas.idle();
    await tenant(async (tx) => {
      await commitTaskTurn(tx, turn, {
        finalText: outcome.finalText,
        finalOutSeq: outcome.outputs,
        history: woke && !run.isolated ? outcome.history : null,
      });
      await record(tx, { status: 'succeeded', turnId: turn.turnId, ...(outcome.precheck ? { precheck: outcome.precheck } : {}) });
    });
    turnLog.info({ precheck: outcome.precheck?.outcome, iterations: outcome.iterations }, 'task turn ended');
    return woke ? 'answered' : 'skipped';
  } catch (thrown) {
    const err = thrown as Error;
    if (err instanceof FencedOutError || lease.lost.aborted) {
      turnLog.warn('task turn taken over by another worker; stopping');
      return 'failed';
    }
    const error = turnError(err, timeout.aborted ? deps.turnTimeoutMs : null);
    const final = error.kind === 'output_quota' || error.kind === 'workspace_quota' || turn.attempt >= TURN_MAX_ATTEMPTS;
    const result = await tenant(async (tx) => {
      const failed = await failTurn(tx, turn, error, final);
      if (failed !== 'retry') await record(tx, { status: 'failed', turnId: turn.turnId, error });
      return failed;
    }).catch((failure: unknown) => {
      if (failure instanceof FencedOutError) return 'taken-over' as const;
      throw failure;
    });
    turnLog.warn({ err, result }, 'task turn failed');
    if (result === 'retry') throw new TurnFailedError(err.message);
    return 'failed';
  } finally {
    lease.stop();
  }
}

function taskInput(deps: TurnJobDeps, run: TaskTurnRun, turn: ClaimedTaskTurn, sandboxId: string): TurnInput {
  return {
    type: 'turn',
    turnId: turn.turnId,
    tenantId: run.tenantId,
    conversationId: run.conversationId,
    model: deps.model,
    systemPrompt: defaultSystemPrompt(turn.assistantName),
    history: turn.history as TurnInput['history'],
    newMessages: [{ seq: 0, sender: 'scheduled task', content: `[scheduled task ${run.taskId}]\n${run.prompt}` }],
    limits: deps.limits,
    proxyToken: deps.mintTurnToken({ tenantId: run.tenantId, sandboxId, turnId: turn.turnId, attempt: turn.attempt }),
    ...(run.precheck ? { precheck: run.precheck } : {}),
  };
}
