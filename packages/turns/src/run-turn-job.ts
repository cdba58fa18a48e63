import type { Logger } from '@warren/core';
import { withTenant, type Pool } from '@warren/db';
import type { TurnInput } from '@warren/ipc';
import type { TurnJob } from '@warren/queue';
import type { SandboxPool } from '@warren/sandbox';
import { claimTurn, type ClaimedTurn } from './claim-turn.ts';
import { commitTurn } from './commit-turn.ts';
import { failTurn } from './fail-turn.ts';
import { FencedOutError } from './fence.ts';
import { recordOutput } from './record-output.ts';

export interface TurnJobDeps {
  pool: Pool;
  sandboxes: SandboxPool;
  model: string;
  limits: TurnInput['limits'];
  /** Attempts pg-boss makes before dead-lettering; the last one marks the turn failed. */
  retryLimit: number;
  logger: Logger;
}

export interface TurnJobRun {
  id: string;
  data: TurnJob;
  retryCount: number;
  signal: AbortSignal;
}

export class TurnRetryError extends Error {
  override name = 'TurnRetryError';
}

const systemPrompt = (assistantName: string) =>
  [
    `You are ${assistantName}, an assistant taking part in a conversation.`,
    'You have a private workspace with bash and file tools; it persists between turns.',
    'Use send_message for progress updates; your final answer is sent when you finish.',
    'Wrap reasoning the people in the conversation should not see in <internal>…</internal>.',
  ].join('\n');

/**
 * One `turn` job, from database state only: claim the conversation's turn, run it in the
 * conversation's warm sandbox, write each output as it arrives, then commit. Throws
 * TurnRetryError when pg-boss should run the job again (failed before any output).
 */
export async function runTurnJob(deps: TurnJobDeps, job: TurnJobRun): Promise<'answered' | 'nothing-to-do' | 'failed'> {
  const { tenantId, conversationId, kind } = job.data;
  const log = deps.logger.child({ tenantId, conversationId, jobId: job.id });
  const tenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(deps.pool, tenantId, fn);

  const turn = await tenant((tx) => claimTurn(tx, { conversationId, jobId: job.id, kind }));
  if (!turn) return 'nothing-to-do';
  const turnLog = log.child({ turnId: turn.turnId, attempt: turn.attempt });
  let outSeq = 0;
  try {
    const sandbox = await deps.sandboxes.acquire(tenantId, conversationId);
    let outcome;
    try {
      outcome = await sandbox.runTurn(turnInput(deps, tenantId, turn), {
        signal: job.signal,
        onMessage: (message) => tenant((tx) => recordOutput(tx, turn, outSeq++, message.text)).then(() => undefined),
      });
    } finally {
      deps.sandboxes.release(sandbox);
    }
    if (outcome.status === 'ok') {
      await tenant((tx) => commitTurn(tx, turn, { finalText: outcome.finalText, finalOutSeq: outSeq, history: outcome.history, usage: outcome.usage }));
      turnLog.info({ usage: outcome.usage, iterations: outcome.iterations }, 'turn answered');
      return 'answered';
    }
    throw new Error(outcome.error ?? 'the runner reported an error');
  } catch (err) {
    if (err instanceof FencedOutError) {
      turnLog.warn('turn taken over by another worker; stopping');
      return 'failed';
    }
    const final = job.retryCount >= deps.retryLimit;
    const result = await tenant((tx) => failTurn(tx, turn, { message: (err as Error).message }, final));
    turnLog.warn({ err: (err as Error).message, result }, 'turn failed');
    if (result === 'retry') throw new TurnRetryError((err as Error).message);
    return 'failed';
  }
}

function turnInput(deps: TurnJobDeps, tenantId: string, turn: ClaimedTurn): TurnInput {
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
  };
}
