import type { Logger } from '@warren/core';
import type { PgBoss } from 'pg-boss';

/**
 * pg-boss reports what fails outside any call of ours (a pooled connection lost, maintenance, a
 * worker's fetch) as 'error' events, and a process without a listener dies of the first one.
 * pg-boss retries such work itself: what is left to do is to show it.
 */
export function logBossErrors(boss: PgBoss, logger: Logger): PgBoss {
  boss.on('error', (err) => logger.error({ err }, 'queue error'));
  return boss;
}
