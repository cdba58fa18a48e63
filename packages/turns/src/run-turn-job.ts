import type { Logger } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import type { IpcResponse, TaskRequest, TurnInput } from '@warren/ipc';
import { TURN_MAX_ATTEMPTS, type TurnJob } from '@warren/queue';
import { SandboxCapacityError, SandboxCrashedError, type SandboxPool, type SandboxSpec } from '@warren/sandbox';
import { type OutputLimits, OutputQuota, OutputQuotaExceeded } from './output-quota.ts';
import type { SandboxOwnership } from './sandbox-ownership.ts';
import {
  type ClaimedTurn,
  claimTurn,
  commitTurn,
  FencedOutError,
  failTurn,
  otherTurnRuns,
  recordOutput,
  renewLease,
  TURN_LEASE_SECONDS,
  type TurnError,
  type TurnLease,
  tenantHasFreeSlot,
} from './turn-state.ts';
import { type DurableWorkspaces, WorkspaceQuotaExceeded } from './workspace-store.ts';

export interface TurnJobDeps {
  pool: Pool;
  sandboxes: SandboxPool;
  model: string;
  limits: TurnInput['limits'];
  /** A turn still running after this long is stopped and fails (kind `timeout`). */
  turnTimeoutMs: number;
  /** The turn attempt's credential for the credential proxy, handed to the runner with the input. */
  mintTurnToken(claims: { tenantId: string; sandboxId: string; turnId: string; attempt: number }): string;
  /** This worker's id, recorded on the turns it claims; its WorkerLiveness lock says it is alive. */
  workerId?: string;
  /** One live sandbox per conversation across workers: a turn runs only where its conversation is held. */
  ownership?: SandboxOwnership;
  /** The workspace's durable copy, saved with the commit of a turn that changed it. */
  workspaces?: DurableWorkspaces;
  /** Answers the agent's task tools (schedule_task, …) for the turn's conversation. */
  taskRequests?: TaskRequestHandler;
  logger: Logger;
}

export type TaskRequestHandler = (
  scope: { tenantId: string; conversationId: string },
  request: TaskRequest,
) => Promise<Omit<IpcResponse, 'requestId'>>;

export interface TurnJobRun {
  id: string;
  data: TurnJob;
  /** Turns the job's tenant may run at once, across every worker. */
  tenantCap: number;
  /** What the turn may write (the tenant's own limits, else the workers' defaults). */
  outputLimits: OutputLimits;
  /** The tenant's own sandbox limits (workspace quota, CPU); unset ones are the pool's defaults. */
  sandboxLimits?: Partial<SandboxSpec['limits']>;
  signal: AbortSignal;
}

/**
 * Thrown so that pg-boss records a turn that failed before any output and retries the job with
 * backoff. How many attempts a turn gets is counted on the turn (`TURN_MAX_ATTEMPTS`), not by the
 * job: another job of the conversation may run the next attempt.
 */
export class TurnFailedError extends Error {
  override name = 'TurnFailedError';
}

export const systemPrompt = (assistantName: string) =>
  [
    `You are ${assistantName}, an assistant taking part in a conversation.`,
    'You have a private workspace with bash and file tools; it persists between turns.',
    'Use send_message for progress updates; your final answer is sent when you finish.',
    'Wrap reasoning the people in the conversation should not see in <internal>…</internal>.',
  ].join('\n');

export type TurnJobResult = 'answered' | 'nothing-to-do' | 'failed' | 'tenant-busy' | 'conversation-busy' | 'owned-elsewhere';

/**
 * One `turn` job, from database state only: claim the conversation's turn (unless its tenant is
 * at its cap: 'tenant-busy', the caller sends the job again later), run it in the conversation's
 * warm sandbox, write each output as it arrives, then commit. Throws TurnFailedError when the
 * turn failed before any output (its last attempt has marked it failed by then).
 */
export async function runTurnJob(deps: TurnJobDeps, job: TurnJobRun): Promise<TurnJobResult> {
  // Another live worker holds the conversation's sandbox ('owned-elsewhere': it was asked to
  // let go, and the caller sends the job again shortly).
  const held = deps.ownership ? await deps.ownership.takeForTurn(job.data.tenantId, job.data.conversationId) : () => {};
  if (!held) return 'owned-elsewhere';
  try {
    return await runHeldTurnJob(deps, job);
  } finally {
    held();
  }
}

async function runHeldTurnJob(deps: TurnJobDeps, job: TurnJobRun): Promise<TurnJobResult> {
  const { tenantId, conversationId } = job.data;
  const log = deps.logger.child({ tenantId, conversationId, jobId: job.id });
  const tenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(deps.pool, tenantId, fn);

  const turn = await tenant(async (tx) => {
    if (!(await tenantHasFreeSlot(tx, conversationId, job.tenantCap))) return 'tenant-busy';
    // a scheduled task's turn runs in the conversation: this turn waits for it
    if (await otherTurnRuns(tx, conversationId, null)) return 'conversation-busy';
    return claimTurn(tx, { conversationId, jobId: job.id, kind: 'message', workerId: deps.workerId });
  });
  if (turn === 'tenant-busy' || turn === 'conversation-busy') return turn;
  if (!turn) return 'nothing-to-do';
  const turnLog = log.child({ turnId: turn.turnId, attempt: turn.attempt });
  const lease = keepLease(turn, tenant, turnLog);
  const takenOver = () => {
    turnLog.warn('turn taken over by another worker; stopping');
    return 'failed' as const;
  };
  const quota = new OutputQuota(job.outputLimits);
  const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
  try {
    const sandbox = await deps.sandboxes.acquire(tenantId, conversationId, job.sandboxLimits);
    let outcome;
    try {
      outcome = await sandbox.runTurn(turnInput(deps, tenantId, turn, sandbox.sandboxId), {
        signal: AbortSignal.any([job.signal, lease.lost, timeout]),
        onMessage: async (message) => {
          quota.take(message.text);
          await tenant((tx) => recordOutput(tx, turn, message.seq, message.text));
        },
        onTaskRequest: deps.taskRequests && ((request) => deps.taskRequests!({ tenantId, conversationId }, request)),
      });
    } finally {
      deps.sandboxes.release(sandbox);
    }
    if (await sandbox.workspaceFull()) {
      throw new WorkspaceQuotaExceeded('the turn filled its workspace to its size limit (No space left on device)');
    }
    if (outcome.status === 'ok') {
      quota.take(outcome.finalText, true);
      const snapshot = await deps.workspaces?.changed(sandbox);
      // the workspace's copy in the turn's own transaction: a reply is never durable without the files behind it
      const saved = await tenant(async (tx) => {
        await commitTurn(tx, turn, { finalText: outcome.finalText, finalOutSeq: outcome.outputs, history: outcome.history });
        return snapshot ? snapshot.save(tx) : null;
      });
      await snapshot?.saved(saved);
      turnLog.info({ iterations: outcome.iterations }, 'turn answered');
      return 'answered';
    }
    throw new RunnerError(outcome.error ?? 'the runner reported an error');
  } catch (thrown) {
    const err = thrown as Error;
    if (err instanceof FencedOutError || lease.lost.aborted) return takenOver();
    const error = turnError(err, timeout.aborted ? deps.turnTimeoutMs : null);
    // a quota is hit again by the same turn: no retry
    const final = error.kind === 'output_quota' || error.kind === 'workspace_quota' || turn.attempt >= TURN_MAX_ATTEMPTS;
    const result = await tenant((tx) => failTurn(tx, turn, error, final)).catch((failure: unknown) => {
      if (failure instanceof FencedOutError) return 'taken-over' as const;
      throw failure;
    });
    if (result === 'taken-over') return takenOver();
    turnLog.warn({ err, result }, 'turn failed');
    if (result === 'advanced') return 'failed';
    throw new TurnFailedError(err.message);
  } finally {
    lease.stop();
  }
}

/**
 * Renews the turn's lease while it runs. When a renewal finds the turn taken over, `lost` aborts
 * the sandbox turn at once instead of letting it run to a commit that the fence would refuse.
 */
export function keepLease(turn: TurnLease, tenant: <T>(fn: Parameters<typeof withTenant<T>>[2]) => Promise<T>, log: Logger) {
  const lost = new AbortController();
  const timer = setInterval(
    () => {
      tenant((tx) => renewLease(tx, turn)).then(
        (held) => held || lost.abort(new FencedOutError(turn)),
        (err: unknown) => log.warn({ err }, 'lease renewal failed; retrying'),
      );
    },
    (TURN_LEASE_SECONDS * 1000) / 3,
  );
  return { lost: lost.signal, stop: () => clearInterval(timer) };
}

function turnInput(deps: TurnJobDeps, tenantId: string, turn: ClaimedTurn, sandboxId: string): TurnInput {
  return {
    type: 'turn',
    turnId: turn.turnId,
    tenantId,
    conversationId: turn.conversationId,
    model: deps.model,
    systemPrompt: systemPrompt(turn.assistantName),
    history: turn.history as TurnInput['history'],
    newMessages: turn.newMessages,
    limits: deps.limits,
    proxyToken: deps.mintTurnToken({ tenantId, sandboxId, turnId: turn.turnId, attempt: turn.attempt }),
  };
}

export class RunnerError extends Error {
  override name = 'RunnerError';
}

/** What the API shows of a failure: its kind, and the error's own sentence. */
export function turnError(err: Error, timedOutAfterMs: number | null): TurnError {
  if (timedOutAfterMs !== null) return { kind: 'timeout', message: `the turn ran longer than its limit of ${timedOutAfterMs / 1000} s` };
  if (err instanceof OutputQuotaExceeded) return { kind: 'output_quota', message: err.message };
  if (err instanceof WorkspaceQuotaExceeded) return { kind: 'workspace_quota', message: err.message };
  if (err instanceof RunnerError) return { kind: 'runner_error', message: err.message };
  if (err instanceof SandboxCrashedError || err instanceof SandboxCapacityError) return { kind: 'sandbox_error', message: err.message };
  return { kind: 'host_error', message: err.message };
}
