import { randomBytes } from 'node:crypto';
import type { Logger } from '@warren/core';
import { createPool, ensureAppDatabase, migrateControl, type Pool } from '@warren/db';
import pg from 'pg';
import { inject } from 'vitest';
import { testkitLogger } from './logger.ts';
import { TEMPLATE_DATABASE, TEST_APP_ROLE } from './provided.ts';

export interface TestDatabase {
  /** Connection string for the app role (non-superuser), as the services use. */
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/**
 * A fresh database cloned from the migrated template; call in beforeAll, drop in afterAll.
 * `logger` gets what the pool reports (a lost idle connection).
 */
export async function createTestDatabase(options: { logger?: Logger } = {}): Promise<TestDatabase> {
  const { superuserUrl, appPassword } = inject('postgres');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const url = await ensureAppDatabase(superuserUrl, {
    role: TEST_APP_ROLE,
    password: appPassword,
    database: name,
    template: TEMPLATE_DATABASE,
  });
  const pool = createPool(url, { max: 10, logger: options.logger ?? testkitLogger });
  await migrateControl(pool); // nothing to apply, but re-asserts the database-level revokes
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const admin = new pg.Client({ connectionString: superuserUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A superuser connection to the test database's server, for tests that must break things on purpose. */
export async function superuserClient(database: string): Promise<pg.Client> {
  const url = new URL(inject('postgres').superuserUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}
