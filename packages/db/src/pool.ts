import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as control from './schema/control.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type ControlDb = NodePgDatabase<typeof control>;

export function createPool(connectionString: string, options: { max?: number; applicationName?: string } = {}): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'warren',
  });
  // An idle client that loses its connection emits here; without a listener the process dies.
  pool.on('error', () => {});
  return pool;
}

/** Drizzle over the control schema, for control-plane queries made as the app role. */
export function controlDb(client: Pool | PoolClient): ControlDb {
  return drizzle({ client, schema: control });
}
