import type { Pool } from './pool.ts';

// One advisory lock key for everything that changes schemas across tenants.
const MIGRATION_LOCK_KEY = 7_201_455_421;

export class MigrationLockBusyError extends Error {
  override name = 'MigrationLockBusyError';
}

/**
 * Runs `fn` holding the session advisory lock that serialises migration runs. With
 * `wait: false` a second run fails at once with MigrationLockBusyError; otherwise it waits,
 * calling `onWait` once so the operator knows why nothing happens.
 */
export async function withMigrationLock<T>(
  pool: Pool,
  options: { wait: boolean; onWait?: (holderPid: number | null) => void },
  fn: () => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [MIGRATION_LOCK_KEY]);
    if (!rows[0]?.ok) {
      const holder = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND ((classid::bigint << 32) | objid::bigint) = $1 LIMIT 1`,
        [MIGRATION_LOCK_KEY],
      );
      const pid = holder.rows[0]?.pid ?? null;
      if (!options.wait) {
        throw new MigrationLockBusyError(
          `another migration run holds the lock${pid ? ` (backend pid ${pid})` : ''}; try again when it finishes`,
        );
      }
      options.onWait?.(pid);
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    }
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
