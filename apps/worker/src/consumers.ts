import type { Logger } from '@warren/core';
import { ChangeListener, withTenant, type Pool } from '@warren/db';
import { TURN_DEAD_LETTER_QUEUE, TURN_QUEUE, TURN_READY_CHANNEL, TurnQueue, turnCapTiers, turnJobSchema } from '@warren/queue';
import type { TenantTurnSettings } from '@warren/tenancy';
import { abandonTurns, runTurnJob, type TurnJobDeps } from '@warren/turns';
import type { JobWithMetadata, PgBoss } from 'pg-boss';

/** How soon a turn is looked at again when its tenant is at its cap, or suspended. */
const TENANT_BUSY_RETRY_SECONDS = 1;
const TENANT_SUSPENDED_RETRY_SECONDS = 10;

export interface ConsumerOptions {
  concurrency: number;
  /** Turns a tenant without a cap of its own may run at once, across all workers. */
  defaultTenantCap: number;
  /** The backstop poll: catches retries and deferred jobs, which no NOTIFY announces. */
  pollSeconds: number;
}

/**
 * `concurrency` fetch loops on the `turn` queue, each its own pg-boss worker so it can be woken
 * alone: a loop wakes itself after every job (pg-boss would otherwise wait out its poll, and a
 * backlog with no new sends would drain one job per poll), and each TURN_READY_CHANNEL
 * notification wakes one idle loop, in turn — pg-boss's own NOTIFY wakes every loop of every
 * worker, whose fetches then crowd out the one that got the job. Returns a stop for the listener.
 */
export async function consumeTurns(
  boss: PgBoss,
  deps: TurnJobDeps,
  tenants: TenantTurnSettings,
  options: ConsumerOptions,
): Promise<{ close(): Promise<void> }> {
  const queue = TurnQueue.over(boss);
  const workOptions = {
    batchSize: 1,
    includeMetadata: true as const,
    // only a pre-filter: the cap itself is enforced when the turn is claimed
    groupConcurrency: { default: options.defaultTenantCap, tiers: turnCapTiers() },
    pollingIntervalSeconds: options.pollSeconds,
  };
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
    const tenantCap = ownCap ?? options.defaultTenantCap;
    const result = await runTurnJob(deps, { id: job.id, data, retryCount: job.retryCount, retryLimit: job.retryLimit, tenantCap, signal: job.signal });
    // The tenant is at its cap: look again shortly. Sent before this job completes, so a crash in
    // between leaves a duplicate (harmless: it finds nothing to do), never a lost turn.
    if (result === 'tenant-busy') await queue.enqueueLater(data, TENANT_BUSY_RETRY_SECONDS, ownCap);
  };

  const loops: string[] = [];
  const busy = new Set<string>();
  let next = 0;
  const wakeOneIdle = () => {
    for (let tried = 0; tried < loops.length; tried++) {
      const id = loops[next++ % loops.length]!;
      if (!busy.has(id)) return boss.notifyWorker(id);
    }
  };
  for (let i = 0; i < options.concurrency; i++) {
    let loopId: string | undefined;
    loopId = await boss.work(TURN_QUEUE, workOptions, async ([job]) => {
      if (!job) return;
      const id = loopId; // set before any fetch can answer; checked all the same
      if (id) busy.add(id);
      try {
        await handle(job);
      } finally {
        if (id) {
          busy.delete(id);
          boss.notifyWorker(id);
        }
      }
    });
    loops.push(loopId);
  }
  const ready = new ChangeListener(TURN_READY_CHANNEL, wakeOneIdle);
  await ready.listen(deps.pool);
  return { close: () => ready.close() };
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
