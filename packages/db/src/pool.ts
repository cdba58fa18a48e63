import type { Logger } from '@warren/core';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type ControlDb = NodePgDatabase;

export interface PoolOptions {
  /** Where a lost idle connection is reported. */
  logger: Logger;
  max?: number;
  applicationName?: string;
}

export function createPool(connectionString: string, options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString,
    // Queries issued before the previous one answers go out at once (see withTenant).
    pipeline: true,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'warren',
  });
  // An idle client that loses its connection emits here (without a listener the process dies).
  // The pool has already dropped it and opens a new one when needed: no query was running on it.
  pool.on('error', (err) => {
    // pg hangs the whole client (config, buffers, type tables) on the error: several KB a line
    delete (err as Error & { client?: unknown }).client;
    options.logger.warn({ err }, 'an idle database connection failed; the pool dropped it');
  });
  // A client a caller holds (a transaction between statements) that loses its connection emits
  // `error` too, and pg-pool listens only while the client is idle: without this the process dies.
  // The caller is the one to act, and does: its running or next query fails with the error.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.logger.debug({ err }, 'a connection in use failed; its holder gets the error'));
  });
  return pool;
}

/** Drizzle for control-plane queries made as the app role (tables are schema-qualified). */
export function controlDb(client: Pool | PoolClient): ControlDb {
  return drizzle({ client });
}
