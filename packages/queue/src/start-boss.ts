import type { Logger } from '@warren/core';
import { isDatabaseUnreachable } from '@warren/db';
import type { PgBoss } from 'pg-boss';

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2_000;

/**
 * Starts pg-boss, waiting for the database for as long as it is unreachable: a process started
 * while Postgres is down waits instead of exiting. Not pg-boss's own `start({ attempts })`: it
 * backs off to 30 s, so a process could sleep through most of a minute after Postgres is back.
 * An aborted `signal` ends the wait with its reason.
 */
export async function startBoss(boss: PgBoss, logger: Logger, signal?: AbortSignal): Promise<void> {
  let waited = false;
  for (let delayMs = RETRY_FIRST_MS; ; delayMs = Math.min(delayMs * 2, RETRY_MAX_MS)) {
    signal?.throwIfAborted();
    try {
      await boss.start();
      if (waited) logger.info('database reachable; queue started');
      return;
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err;
      if (!waited) logger.warn({ err }, 'database unreachable; waiting for it to start the queue');
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
