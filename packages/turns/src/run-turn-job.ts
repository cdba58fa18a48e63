import { type AssistantVersion, writeArchive } from '@warren/conversations';
import type { Logger } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import { TextDeltaPublisher } from '@warren/events';
import { type IpcResponse, sandboxPaths, type TaskRequest, type TurnInput } from '@warren/ipc';
import { TURN_MAX_ATTEMPTS, type TurnJob } from '@warren/queue';
import { SandboxCapacityError, SandboxCrashedError, type SandboxPool, type SandboxSpec } from '@warren/sandbox';
import { latestSkillVersions, skillArchive, skillFolder } from '@warren/skills';
import { CompactionRefused, compactionArchive } from './compaction-archive.ts';
import { type OutputLimits, OutputQuota, OutputQuotaExceeded } from './output-quota.ts';
import type { SandboxOwnership } from './sandbox-ownership.ts';
import { assistantForTurn } from './turn-assistant.ts';
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
  /** The model of conversations without an assistant (or whose assistant names none). */
  model: string;
  limits: TurnInput['limits'];
  /** When the runner compacts a conversation's history; an assistant may set its own budget. */
  compaction?: NonNullable<TurnInput['compaction']>;
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

/** The system prompt of conversations without an assistant (and of scheduled tasks' turns). */
export const defaultSystemPrompt = (assistantName: string) =>
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

  const claimed = await tenant(async (tx) => {
    if (!(await tenantHasFreeSlot(tx, conversationId, job.tenantCap))) return 'tenant-busy';
    // a scheduled task's turn runs in the conversation: this turn waits for it
    if (await otherTurnRuns(tx, conversationId, null)) return 'conversation-busy';
    const turn = await claimTurn(tx, { conversationId, jobId: job.id, kind: 'message', workerId: deps.workerId });
    return turn && { turn, assistant: await assistantForTurn(tx, turn) };
  });
  if (claimed === 'tenant-busy' || claimed === 'conversation-busy') return claimed;
  if (!claimed) return 'nothing-to-do';
  const { turn, assistant } = claimed;
  const turnLog = log.child({ turnId: turn.turnId, attempt: turn.attempt });
  const lease = keepLease(turn, tenant, turnLog);
  const takenOver = () => {
    turnLog.warn('turn taken over by another worker; stopping');
    return 'failed' as const;
  };
  const quota = new OutputQuota(job.outputLimits);
  const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
  const deltas = new TextDeltaPublisher(deps.pool, turnLog);
  try {
    const skills = await enabledSkills(deps, tenantId, assistant);
    const sandbox = await deps.sandboxes.acquire(tenantId, conversationId, job.sandboxLimits, skills.folders);
    let outcome;
    try {
      outcome = await sandbox.runTurn(turnInput(deps, tenantId, turn, assistant, skills.described, sandbox.sandboxId), {
        signal: AbortSignal.any([job.signal, lease.lost, timeout]),
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
    if (await sandbox.workspaceFull()) {
      throw new WorkspaceQuotaExceeded('the turn filled its workspace to its size limit (No space left on device)');
    }
    if (outcome.status === 'ok') {
      quota.take(outcome.finalText, true);
      const archive = compactionArchive(turn, outcome);
      const snapshot = await deps.workspaces?.changed(sandbox);
      // published before the commit, so that live streams get a turn's deltas before its message.created
      await deltas.idle();
      // the workspace's copy in the turn's own transaction: a reply is never durable without the files behind it;
      // likewise the archive of a compacted history: the full transcript is stored with its replacement or not at all
      const saved = await tenant(async (tx) => {
        const { finalText, outputs: finalOutSeq, history, contextTokens = 0 } = outcome;
        await commitTurn(tx, turn, { finalText, finalOutSeq, history, contextTokens });
        if (archive) await writeArchive(tx, archive);
        return snapshot ? snapshot.save(tx) : null;
      });
      await snapshot?.saved(saved);
      turnLog.info({ iterations: outcome.iterations, compacted: archive !== null }, 'turn answered');
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

/**
 * The skills the assistant enables that the tenant has: each one's latest version unpacked on
 * this host (once; see skillFolder) for the sandbox to bind, and its name and description for
 * the system prompt.
 */
async function enabledSkills(deps: TurnJobDeps, tenantId: string, assistant: AssistantVersion | null) {
  const tenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(deps.pool, tenantId, fn);
  const versions = assistant?.skills.length ? await tenant((tx) => latestSkillVersions(tx, assistant.skills)) : [];
  const folders = await Promise.all(
    versions.map(async (v) => ({
      name: v.name,
      dir: await skillFolder(deps.sandboxes.root, tenantId, v, () => tenant((tx) => skillArchive(tx, v.name, v.version))),
    })),
  );
  return { folders, described: versions.map((v) => ({ name: v.name, description: v.description })) };
}

/** What the system prompt says of the enabled skills; the agent reads a SKILL.md when it needs it. */
const skillsSection = (skills: Array<{ name: string; description: string }>) =>
  skills.length === 0
    ? ''
    : [
        '',
        '',
        `Skills are folders of instructions and files under ${sandboxPaths.skills}/, read-only. Read ${sandboxPaths.skills}/<name>/SKILL.md before using one:`,
        ...skills.map((s) => `- ${s.name}: ${s.description}`),
      ].join('\n');

/**
 * The turn as the runner gets it: the assistant's instructions, model, tools, budget and skills,
 * else the worker's defaults.
 */
function turnInput(
  deps: TurnJobDeps,
  tenantId: string,
  turn: ClaimedTurn,
  assistant: AssistantVersion | null,
  skills: Array<{ name: string; description: string }>,
  sandboxId: string,
): TurnInput {
  return {
    type: 'turn',
    turnId: turn.turnId,
    tenantId,
    conversationId: turn.conversationId,
    model: assistant?.model ?? deps.model,
    systemPrompt: (assistant ? assistant.instructions : defaultSystemPrompt(turn.assistantName)) + skillsSection(skills),
    history: turn.history as TurnInput['history'],
    newMessages: turn.newMessages,
    limits: { ...deps.limits, ...(assistant?.maxTokens != null && { maxTokens: assistant.maxTokens }) },
    ...(assistant?.tools != null && { tools: assistant.tools }),
    ...(deps.compaction && {
      compaction: { ...deps.compaction, budgetTokens: assistant?.compactionBudgetTokens ?? deps.compaction.budgetTokens },
    }),
    contextTokens: turn.contextTokens,
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
  if (err instanceof RunnerError || err instanceof CompactionRefused) return { kind: 'runner_error', message: err.message };
  if (err instanceof SandboxCrashedError || err instanceof SandboxCapacityError) return { kind: 'sandbox_error', message: err.message };
  return { kind: 'host_error', message: err.message };
}
