import type { Logger } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import {
  RETENTION_QUEUE,
  startFetchLoops,
  TURN_DEAD_LETTER_QUEUE,
  TURN_MAX_ATTEMPTS,
  TURN_QUEUE,
  TURN_READY_CHANNEL,
  TurnQueue,
  turnJobSchema,
} from '@warren/queue';
import { abandonRun, runTaskJob, type TaskJobDeps, type TaskJobResult } from '@warren/tasks';
import type { TenantTurnSettings } from '@warren/tenancy';
import { abandonTurns, enforceRetention, type OutputLimits, runTurnJob, type TurnJobDeps, type TurnJobResult } from '@warren/turns';
import type { JobWithMetadata, PgBoss } from 'pg-boss';

/** How soon a turn is looked at again when its tenant is at its cap, or suspended. */
const TENANT_BUSY_RETRY_SECONDS = 1;
const TENANT_SUSPENDED_RETRY_SECONDS = 10;

export interface ConsumerOptions {
  concurrency: number;
  /** Turns a tenant without a cap of its own may run at once, across all workers. */
  defaultTenantCap: number;
  /** What a turn of a tenant without limits of its own may write. */
  defaultOutputLimits: OutputLimits;
  pollSeconds: number;
  /** Told how each job that ran a turn ended ('error': it threw) and how long it took (for metrics). */
  onTurnJob?: (outcome: TurnJobResult | TaskJobResult | 'error', seconds: number) => void;
  /** Scheduled tasks' runs (`task` jobs of the same queue). */
  tasks: Omit<TaskJobDeps, 'turns' | 'queue'>;
}

/**
 * Runs `turn` jobs on `concurrency` fetch loops (see startFetchLoops for how they are woken):
 * tenant gone → dropped; suspended → sent back for later; else the turn, and a job whose tenant
 * is at its cap is sent again shortly. Returns a stop for the wake-up listener.
 */
export async function consumeTurns(
  boss: PgBoss,
  deps: TurnJobDeps,
  tenants: TenantTurnSettings,
  options: ConsumerOptions,
): Promise<{ close(): Promise<void> }> {
  const queue = TurnQueue.over(boss);
  const handle = async (job: JobWithMetadata<unknown>) => {
    const data = turnJobSchema.parse(job.data);
    // A suspended tenant's turns wait, neither run nor failed, until it is resumed; a deleted
    // tenant's are dropped.
    const tenant = await tenants.get(data.tenantId);
    if (tenant === null) return;
    if (tenant.status !== 'active') {
      await queue.enqueueLater(data, TENANT_SUSPENDED_RETRY_SECONDS);
      return;
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const run = {
      id: job.id,
      tenantCap: tenant.maxConcurrentTurns ?? options.defaultTenantCap,
      outputLimits: {
        maxOutputs: tenant.turnMaxOutputs ?? options.defaultOutputLimits.maxOutputs,
        maxOutputBytes: tenant.turnMaxOutputBytes ?? options.defaultOutputLimits.maxOutputBytes,
      },
      sandboxLimits: { workspaceBytes: tenant.workspaceBytes ?? undefined, cpuPercent: tenant.sandboxCpuPercent ?? undefined },
      signal: job.signal,
    };
    const result = await (data.kind === 'task'
      ? runTaskJob({ ...options.tasks, turns: deps, queue }, { ...run, data })
      : runTurnJob(deps, { ...run, data })
    ).catch((err: unknown) => {
      options.onTurnJob?.('error', seconds());
      throw err; // pg-boss retries the job; its failure is logged where the job fails
    });
    options.onTurnJob?.(result, seconds());
    // The tenant is at its cap, another turn runs in the conversation, or another worker holds
    // its sandbox: look again shortly. Sent before this job completes, so a crash in between
    // leaves a duplicate (harmless: it finds nothing to do, or the run already recorded), never
    // a lost turn.
    if (result === 'tenant-busy' || result === 'conversation-busy' || result === 'owned-elsewhere')
      await queue.enqueueLater(data, TENANT_BUSY_RETRY_SECONDS);
  };
  return startFetchLoops(
    boss,
    {
      queue: TURN_QUEUE,
      concurrency: options.concurrency,
      channel: TURN_READY_CHANNEL,
      pool: deps.pool,
      pollSeconds: options.pollSeconds,
      logger: deps.logger,
    },
    handle,
  );
}

/** How soon a dead-lettered turn that may still run is tried again. */
const DEAD_TURN_RETRY_SECONDS = 2;

/**
 * The queue gave up on a `turn` job. Its turn, if it may still run (no output, attempts left —
 * e.g. its retry collided with another job of the conversation under `stately`), is sent again
 * as a new job; otherwise it is marked failed instead of staying open forever. While a worker
 * still holds the turn's lease this job fails and pg-boss retries it later.
 */
export async function consumeDeadTurns(boss: PgBoss, pool: Pool, logger: Logger): Promise<void> {
  const queue = TurnQueue.over(boss);
  await boss.work(TURN_DEAD_LETTER_QUEUE, { pollingIntervalSeconds: 5 }, async ([job]) => {
    if (!job) return;
    const data = turnJobSchema.parse(job.data);
    const { tenantId, conversationId } = data;
    if (data.kind === 'task') {
      const { taskId, scheduledFor } = data;
      const closed = await withTenant(pool, tenantId, (tx) => abandonRun(tx, taskId, new Date(scheduledFor)));
      if (closed === 'live') throw new Error('the task turn is still held by a worker; checking again later');
      if (closed === 'closed') logger.warn({ tenantId, conversationId, taskId, scheduledFor }, 'dead-lettered task run marked failed');
      return;
    }
    const result = await withTenant(pool, tenantId, (tx) => abandonTurns(tx, conversationId, TURN_MAX_ATTEMPTS));
    if (result === 'live') throw new Error('the turn is still held by a worker; checking again later');
    if (result === 'retry') await queue.enqueueLater(data, DEAD_TURN_RETRY_SECONDS);
    if (result !== 'none')
      logger.warn(
        { tenantId, conversationId, result },
        result === 'retry' ? 'dead-lettered turn sent again' : 'dead-lettered turn marked failed',
      );
  });
}

/** The hourly retention job (pg-boss's cron sends it once across all workers). */
export async function consumeRetention(boss: PgBoss, pool: Pool, logger: Logger): Promise<void> {
  await boss.work(RETENTION_QUEUE, { pollingIntervalSeconds: 30 }, async () => {
    await enforceRetention(pool, logger);
  });
}
