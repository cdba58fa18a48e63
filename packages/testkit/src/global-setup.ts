import { createPool, ensureAppDatabase, migrateControl, startTemporaryPostgres } from '@warren/db';
import { installQueue } from '@warren/queue';
import type { TestProject } from 'vitest/node';
import { testkitLogger } from './logger.ts';
import { TEMPLATE_DATABASE, TEST_APP_ROLE } from './provided.ts';

/**
 * One Postgres per test run: embedded (real binaries) unless DATABASE_URL names a server whose
 * role may create roles and databases. A template database gets the control migrations and the
 * queue schema once; each test file clones it (createTestDatabase).
 */
export default function setup(project: TestProject) {
  return setupTestPostgres(project, process.env.DATABASE_URL);
}

/** The setup of a run against `superuserUrl`, or a throw-away server from `binDir` (default: the embedded one). */
export async function setupTestPostgres(project: TestProject, superuserUrl?: string, binDir?: string) {
  let stop = async () => {};
  if (!superuserUrl) {
    const pg = await startTemporaryPostgres({ binDir });
    superuserUrl = pg.superuserUrl;
    stop = pg.stop;
  }
  const appPassword = 'test-app';
  const templateUrl = await ensureAppDatabase(superuserUrl, {
    role: TEST_APP_ROLE,
    password: appPassword,
    database: TEMPLATE_DATABASE,
  });
  const pool = createPool(templateUrl, { max: 2, logger: testkitLogger });
  await migrateControl(pool);
  await pool.end();
  await installQueue(templateUrl, testkitLogger);
  project.provide('postgres', { superuserUrl, appPassword });
  return stop;
}
