import { createLogger } from '@warren/core';
import { createPool, ensureAppDatabase, migrateControl, startTemporaryPostgres } from '@warren/db';
import { installQueue } from '@warren/queue';

/** For the benchmarks' own pools and queues: only what goes wrong. */
export const benchLogger = createLogger('bench', { level: 'warn' });

export interface BenchDatabase {
  /** The app role's URL, as services use it. */
  url: string;
  superuserUrl: string;
  stop(): Promise<void>;
}

/**
 * A migrated database for one benchmark run: a throw-away embedded Postgres, or a fresh
 * database on the server named by BENCH_DATABASE_URL (a role that may create roles and databases).
 */
export async function benchDatabase(): Promise<BenchDatabase> {
  const external = process.env.BENCH_DATABASE_URL;
  const pg = external ? undefined : await startTemporaryPostgres();
  const superuserUrl = external ?? pg!.superuserUrl;
  const url = await ensureAppDatabase(superuserUrl, {
    role: 'warren_bench',
    password: 'bench',
    database: `bench_${Date.now().toString(36)}`,
  });
  const pool = createPool(url, { max: 2, logger: benchLogger });
  await migrateControl(pool);
  await pool.end();
  await installQueue(url, benchLogger);
  return { url, superuserUrl, stop: async () => pg?.stop() };
}
