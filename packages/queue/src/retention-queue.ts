import type { PgBoss } from 'pg-boss';

/** The hourly job that deletes what tenants' retention settings no longer keep. */
export const RETENTION_QUEUE = 'retention';

/** Hourly, at a minute away from the hour's rush; pg-boss's cron fires it once across all workers. */
const RETENTION_CRON = '23 * * * *';

/** Creates the queue and its schedule (both kept as they are when they exist). */
export async function createRetentionQueue(boss: PgBoss): Promise<void> {
  // singleton: a run still going when the next hour fires is not joined by a second one
  await boss.createQueue(RETENTION_QUEUE, { policy: 'singleton' });
  await boss.schedule(RETENTION_QUEUE, RETENTION_CRON);
}
