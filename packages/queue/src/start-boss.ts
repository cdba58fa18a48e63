import type { Logger } from '@warren/core';
import { retryWhileUnreachable } from '@warren/db';
import type { PgBoss } from 'pg-boss';

/**
 * Starts pg-boss, waiting for the database while it is unreachable. Not pg-boss's own
 * `start({ attempts })`: it backs off to 30 s, so a process could sleep through most of a minute
 * after Postgres is back. An aborted `signal` ends the wait with its reason.
 */
export async function startBoss(boss: PgBoss, logger: Logger, signal?: AbortSignal): Promise<void> {
  await retryWhileUnreachable(() => boss.start(), logger, 'queue started', signal);
}
