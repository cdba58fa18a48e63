import type { Logger } from '@warren/core';
import { withTenant, type Pool } from '@warren/db';
import { startFetchLoops, TURN_DEAD_LETTER_QUEUE, TURN_QUEUE, TURN_READY_CHANNEL, TurnQueue, turnCapTiers, turnJobSchema } from '@warren/queue';
import type { TenantTurnSettings } from '@warren/tenancy';
import { abandonTurns, runTurnJob, type OutputLimits, type TurnJobDeps } from '@warren/turns';
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
    const ownCap = tenant.maxConcurrentTurns;
    if (tenant.status !== 'active') {
      await queue.enqueueLater(data, TENANT_SUSPENDED_RETRY_SECONDS, ownCap);
      return;
    }
    const result = await runTurnJob(deps, {
      id: job.id,
      data,
      retryCount: job.retryCount,
      retryLimit: job.retryLimit,
      tenantCap: ownCap ?? options.defaultTenantCap,
      outputLimits: {
        maxOutputs: tenant.turnMaxOutputs ?? options.defaultOutputLimits.maxOutputs,
        maxOutputBytes: tenant.turnMaxOutputBytes ?? options.defaultOutputLimits.maxOutputBytes,
      },
      sandboxLimits: { workspaceBytes: tenant.workspaceBytes ?? undefined, cpuPercent: tenant.sandboxCpuPercent ?? undefined },
      signal: job.signal,
    });
    // The tenant is at its cap: look again shortly. Sent before this job completes, so a crash in
    // between leaves a duplicate (harmless: it finds nothing to do), never a lost turn.
    if (result === 'tenant-busy') await queue.enqueueLater(data, TENANT_BUSY_RETRY_SECONDS, ownCap);
  };
  return startFetchLoops(
    boss,
    {
      queue: TURN_QUEUE,
      concurrency: options.concurrency,
      channel: TURN_READY_CHANNEL,
      pool: deps.pool,
      pollSeconds: options.pollSeconds,
      // only a pre-filter: the cap itself is enforced when the turn is claimed
      groupConcurrency: { default: options.defaultTenantCap, tiers: turnCapTiers() },
    },
    handle,
  );
}

/**
 * Closes turns whose job the queue gave up on, so they show as failed instead of running forever.
 * While a worker still holds the turn's lease the job fails and pg-boss retries it later.
 */
export async function consumeDeadTurns(boss: PgBoss, pool: Pool, logger: Logger): Promise<void> {
  await boss.work(TURN_DEAD_LETTER_QUEUE, { pollingIntervalSeconds: 5 }, async ([job]) => {
    if (!job) return;
    const { tenantId, conversationId } = turnJobSchema.parse(job.data);
    const result = await withTenant(pool, tenantId, (tx) => abandonTurns(tx, conversationId, 'the queue gave up on this turn after its last attempt'));
    if (result === 'live') throw new Error('the turn is still held by a worker; checking again later');
    if (result === 'closed') logger.warn({ tenantId, conversationId }, 'dead-lettered turn marked failed');
  });
}
