import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type ControlDb = NodePgDatabase;

export function createPool(connectionString: string, options: { max?: number; applicationName?: string } = {}): Pool {
  const pool = new pg.Pool({
    connectionString,
    // Queries issued before the previous one answers go out at once (see withTenant).
    pipeline: true,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'warren',
  });
  // An idle client that loses its connection emits here; without a listener the process dies.
  pool.on('error', () => {});
  return pool;
}

/** Drizzle for control-plane queries made as the app role (tables are schema-qualified). */
export function controlDb(client: Pool | PoolClient): ControlDb {
  return drizzle({ client });
}
