import type { Logger } from '@warren/core';
import { PgBoss } from 'pg-boss';
import { logBossErrors } from './boss-errors.ts';
import { createRetentionQueue } from './retention-queue.ts';
import { QUEUE_SCHEMA } from './schema.ts';
import { createTurnQueues } from './turn-queue.ts';
import { createWebhookQueues } from './webhook-queue.ts';

/**
 * Creates or upgrades pg-boss's own schema and Warren's queues. Part of `warren migrate`, so API and worker
 * processes never race to install it.
 */
export async function installQueue(connectionString: string, logger: Logger): Promise<void> {
  const boss = logBossErrors(
    new PgBoss({
      connectionString,
      schema: QUEUE_SCHEMA,
      max: 1,
      supervise: false,
      schedule: false,
      migrate: true,
      createSchema: true,
    }),
    logger,
  );
  await boss.start();
  await createTurnQueues(boss);
  await createRetentionQueue(boss);
  await createWebhookQueues(boss);
  await boss.stop({ graceful: false });
}
