import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, ensureAppDatabase, migrateControl, startEmbeddedPostgres } from '@warren/db';
import { installQueue } from '@warren/queue';
import type { TestProject } from 'vitest/node';
import { TEMPLATE_DATABASE, TEST_APP_ROLE, type TestPostgres } from './provided.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: TestPostgres;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * One Postgres per test run: embedded (real binaries) unless DATABASE_URL names a server whose
 * role may create roles and databases. A template database gets the control migrations and the
 * queue schema once; each test file clones it (createTestDatabase).
 */
export default async function setup(project: TestProject) {
  let superuserUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!superuserUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'warren-test-pg-'));
    chmodSync(dir, 0o755); // the postgres system user must reach its data folder
    const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: await freePort(), password: 'test' });
    superuserUrl = pg.superuserUrl;
    stop = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const appPassword = 'test-app';
  const templateUrl = await ensureAppDatabase(superuserUrl, {
    role: TEST_APP_ROLE,
    password: appPassword,
    database: TEMPLATE_DATABASE,
  });
  const pool = createPool(templateUrl, { max: 2 });
  await migrateControl(pool);
  await pool.end();
  await installQueue(templateUrl);
  project.provide('postgres', { superuserUrl, appPassword });
  return stop;
}
