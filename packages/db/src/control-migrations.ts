import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { controlMigrationsDir } from './paths.ts';
import { controlDb, type Pool } from './pool.ts';

/** Applies the control-plane migrations (drizzle's migrator keeps its journal in schema `drizzle`). */
export async function migrateControl(pool: Pool, migrationsFolder = controlMigrationsDir): Promise<void> {
  await migrate(controlDb(pool), { migrationsFolder });
}
