import type { Logger } from '@warren/core';
import type { PoolClient } from 'pg';
import { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { logBossErrors } from './boss-errors.ts';
import { QUEUE_SCHEMA } from './schema.ts';
import { startBoss } from './start-boss.ts';
import { WebhookQueue } from './webhook-queue.ts';

export const TURN_QUEUE = 'turn';
export const TURN_DEAD_LETTER_QUEUE = 'turn_dead';

/** NOTIFYed in the sending transaction when a turn job can start now. */
export const TURN_READY_CHANNEL = 'warren_turn_ready';

/**
 * What a `turn` job carries: which conversation to look at, and for a scheduled task's run which
 * task and which of its times. The database holds everything else.
 */
export const turnJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({ tenantId: z.string(), conversationId: z.string(), kind: z.literal('message') }),
  z.strictObject({
    tenantId: z.string(),
    conversationId: z.string(),
    kind: z.literal('task'),
    taskId: z.string(),
    scheduledFor: z.iso.datetime(),
  }),
]);
export type TurnJob = z.infer<typeof turnJobSchema>;
export type TaskRunJob = Extract<TurnJob, { kind: 'task' }>;

/** Retries of a turn that fails before any output; after the last, the job is dead-lettered. */
const TURN_RETRY_LIMIT = 5;

/**
 * Attempts a turn gets (the first and its retries), counted on the turn itself: the conversation's
 * next attempt may run under another job than the one that failed (see the dead-letter consumer).
 */
export const TURN_MAX_ATTEMPTS = TURN_RETRY_LIMIT + 1;

/**
 * Creates the queues, then applies their settings — pg-boss's createQueue leaves an existing
 * queue as it was, so this is how `warren migrate` carries a changed setting to a live database.
 */
export async function createTurnQueues(boss: PgBoss): Promise<void> {
  await boss.createQueue(TURN_DEAD_LETTER_QUEUE, { policy: 'standard' });
  // A dead-lettered turn is closed by the worker, which retries while the turn's lease is still live.
  await boss.updateQueue(TURN_DEAD_LETTER_QUEUE, { retryLimit: 20, retryDelay: 15 });
  // `stately` keyed by conversation: at most one turn queued and one running per conversation, so
  // triggers that arrive while a turn is queued coalesce into it (measured in
  // test/policies.test.ts, which also shows other conversations are not held back meanwhile).
  await boss.createQueue(TURN_QUEUE, { policy: 'stately' });
  await boss.updateQueue(TURN_QUEUE, {
    retryLimit: TURN_RETRY_LIMIT,
    retryDelay: 2,
    retryBackoff: true,
    deadLetter: TURN_DEAD_LETTER_QUEUE,
    // A killed worker stops beating: its job is handed to another worker within this many seconds.
    heartbeatSeconds: 10,
    // Not pg-boss's NOTIFY: it wakes every fetch loop of every worker for each job. Workers wake
    // one idle loop per TURN_READY_CHANNEL notification instead; polling stays as the backstop.
    notify: false,
  });
}

/** Scheduled-task turns outrank message turns: a missed schedule cannot be rediscovered later. */
const PRIORITY = { task: 10, message: 0 } as const;

/** The highest per-tenant turn cap ops may set (enforced when a turn is claimed, not by the queue). */
export const MAX_TENANT_TURN_CAP = 256;

// A task run is keyed by (task, time), not by conversation: a run deferred for next week must not
// hold back the conversation's message turns, and two runs of one time coalesce.
const sendOptions = (job: TurnJob) => ({
  singletonKey: job.kind === 'task' ? `task:${job.taskId}@${job.scheduledFor}` : job.conversationId,
  priority: PRIORITY[job.kind],
});

/**
 * Sends `turn` jobs through the caller's transaction, so a job exists exactly when the message
 * that triggered it was committed. A send while the conversation already has a queued turn is
 * dropped by the queue policy: that turn will cover the new message too.
 */
export class TurnQueue {
  private readonly boss: PgBoss;

  /** Settles once the pg-boss is started (at once for `over`). */
  private readonly ready: Promise<void>;
  private readonly stopping = new AbortController();

  private constructor(boss: PgBoss, start?: (signal: AbortSignal) => Promise<void>) {
    this.boss = boss;
    this.ready = start ? start(this.stopping.signal) : Promise.resolve();
  }

  /**
   * A sending-only pg-boss (no maintenance, no workers); the schema comes from `warren migrate`.
   * Its errors (a pooled connection lost) go to `logger`. Waits for an unreachable database.
   */
  static async start(connectionString: string, logger: Logger): Promise<TurnQueue> {
    const queue = TurnQueue.connecting(connectionString, logger);
    await queue.ready;
    return queue;
  }

  /**
   * The same, returned at once: it starts in the background, waiting for the database as long as
   * it takes, and sends wait for it. For the API, which must answer /readyz meanwhile.
   */
  static connecting(connectionString: string, logger: Logger): TurnQueue {
    const boss = new PgBoss({ connectionString, schema: QUEUE_SCHEMA, max: 2, supervise: false, schedule: false, migrate: false });
    logBossErrors(boss, logger);
    const queue = new TurnQueue(boss, (signal) => startBoss(boss, logger, signal));
    // A failure other than an unreachable database (a schema not migrated) is reported here once;
    // every send then fails with it.
    queue.ready.catch((err: unknown) => {
      if (!queue.stopping.signal.aborted) logger.error({ err }, 'the turn queue could not start');
    });
    return queue;
  }

  /** Sends through a pg-boss the caller already runs (a worker's). */
  static over(boss: PgBoss): TurnQueue {
    return new TurnQueue(boss);
  }

  /** Returns the job id, or null when the send coalesced into an already queued turn. */
  async enqueue(client: PoolClient, job: TurnJob): Promise<string | null> {
    await this.ready;
    const id = await this.boss.send(TURN_QUEUE, job, {
      ...sendOptions(job),
      db: { executeSql: (text, values) => client.query(text, values as unknown[]) },
    });
    if (id) await client.query(`SELECT pg_notify('${TURN_READY_CHANNEL}', '')`);
    return id;
  }

  /**
   * Sends a task's run through the caller's transaction, deferred to its scheduled time: the run
   * exists exactly when the task (or its previous run) was committed. Waiting jobs cost nothing
   * but their rows: workers poll the queue at the same rate however many wait. (pg-boss keeps a
   * deferred job for its retention counted from its start, so one due in a year is kept.)
   */
  async scheduleRun(client: PoolClient, job: TaskRunJob): Promise<string | null> {
    await this.ready;
    return this.boss.send(TURN_QUEUE, job, {
      ...sendOptions(job),
      startAfter: new Date(job.scheduledFor),
      db: { executeSql: (text, values) => client.query(text, values as unknown[]) },
    });
  }

  /** Webhook jobs, sent through the same pg-boss (the API's redeliveries). */
  webhooks(): WebhookQueue {
    return new WebhookQueue(this.boss, this.ready);
  }

  /** Sends the job again to start in `seconds` (its tenant was at its cap); coalesces like `enqueue`. */
  async enqueueLater(job: TurnJob, seconds: number): Promise<string | null> {
    await this.ready;
    return this.boss.send(TURN_QUEUE, job, { ...sendOptions(job), startAfter: seconds });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    try {
      await this.ready;
    } catch {
      return; // never started (reported by `connecting`, or stopped while waiting): nothing to stop
    }
    await this.boss.stop({ graceful: false });
  }
}
