import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type EmbeddedPostgresHandle, ensureAppDatabase, freePort, migrateControl, startEmbeddedPostgres } from '@warren/db';
import { installQueue } from '@warren/queue';
import { expect } from 'vitest';
import type { TestDatabase } from './database.ts';
import { testkitLogger } from './logger.ts';

export interface CrashablePostgres {
  /** A migrated database on this server, as createTestDatabase gives; `drop` stops the server. */
  db: TestDatabase;
  /** What `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, no checkpoint; resolves once it is gone. */
  crash(): Promise<void>;
  /** Starts the server again on the same data and port (it runs crash recovery first). */
  start(): Promise<void>;
}

/**
 * A Postgres of its own for a test that crashes it: the run's shared server (global-setup.ts)
 * holds every other test file's database.
 */
export async function startCrashablePostgres(): Promise<CrashablePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-crash-pg-'));
  chmodSync(dir, 0o755); // the postgres system user must reach its data folder
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const boot = () => startEmbeddedPostgres({ dataDir, port, password: 'local' });
  let server: EmbeddedPostgresHandle | undefined = await boot();
  const url = await ensureAppDatabase(server.superuserUrl, { role: 'warren_crash', password: 'crash', database: 'warren' });
  const pool = createPool(url, { max: 10, logger: testkitLogger });
  await migrateControl(pool);
  await installQueue(url, testkitLogger);
  const postmasterAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    db: {
      url,
      pool,
      async drop() {
        await pool.end();
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    },
    async crash() {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGQUIT');
      await expect.poll(() => postmasterAlive(pid), { timeout: 30_000, interval: 50 }).toBe(false);
      server = undefined;
    },
    async start() {
      server = await boot();
    },
  };
}
