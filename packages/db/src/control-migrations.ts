import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { controlMigrationsDir } from './paths.ts';
import { controlDb, type Pool } from './pool.ts';

/**
 * Applies the control-plane migrations (drizzle's migrator keeps its journal in schema
 * `drizzle`), then takes temporary-table and schema-creation rights on the database away from
 * PUBLIC, so tenant roles cannot create objects outside their schema. That last step runs every
 * time because database privileges are not copied when a database is cloned from a template.
 */
export async function migrateControl(pool: Pool, migrationsFolder = controlMigrationsDir): Promise<void> {
  await migrate(controlDb(pool), { migrationsFolder });
  await pool.query(`DO $$ BEGIN
    EXECUTE format('REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC', current_database());
  END $$`);
}
