import type { Logger } from '@warren/core';
import { ChangeListener, type Pool } from '@warren/db';
import type { JobWithMetadata, PgBoss } from 'pg-boss';

export interface FetchLoopOptions {
  queue: string;
  /** Jobs this process runs at once: one fetch loop each. */
  concurrency: number;
  /** Notifications on this channel announce a job that can start now; each wakes one idle loop. None: only `wake` and the poll do. */
  channel?: string;
  /** For the LISTEN connection. */
  pool: Pool;
  /** The backstop poll of an idle loop: catches retries and deferred jobs, which no NOTIFY announces. */
  pollSeconds: number;
  /** Where a lost LISTEN connection is reported. */
  logger: Logger;
}

/**
 * `concurrency` fetch loops on a queue, each its own pg-boss worker so it can be woken alone: a
 * loop wakes itself after every job (pg-boss would otherwise wait out its poll, and a backlog with
 * no new sends would drain one job per poll), and each notification on `channel` wakes one idle
 * loop, in turn — pg-boss's own NOTIFY wakes every loop of every worker, whose fetches then crowd
 * out the one that got the job (`pnpm bench:wakeups`). When the LISTEN connection is back after
 * an outage, every idle loop is woken: what was sent meanwhile was announced to no one, and a loop
 * whose fetch failed would otherwise wait out its poll. The loops stop with `boss.stop()`; the
 * returned `close` stops listening, and `wake` wakes one idle loop as a notification would.
 */
export async function startFetchLoops(
  boss: PgBoss,
  options: FetchLoopOptions,
  handle: (job: JobWithMetadata<unknown>) => Promise<void>,
): Promise<{ close(): Promise<void>; wake(): void }> {
  const workOptions = {
    batchSize: 1,
    includeMetadata: true as const,
    pollingIntervalSeconds: options.pollSeconds,
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
    loopId = await boss.work(options.queue, workOptions, async ([job]) => {
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
  const wakeAllIdle = () => {
    for (const id of loops) if (!busy.has(id)) boss.notifyWorker(id);
  };
  if (!options.channel) return { close: async () => {}, wake: wakeOneIdle };
  const listener = new ChangeListener(options.channel, wakeOneIdle, { onReconnect: wakeAllIdle, logger: options.logger });
  await listener.listen(options.pool);
  return { close: () => listener.close(), wake: wakeOneIdle };
}
