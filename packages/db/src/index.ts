export * as controlSchema from './schema/control.ts';
export * as tenantSchema from './schema/tenant.ts';
export { createPool, controlDb, type Pool, type PoolClient, type PoolOptions, type ControlDb } from './pool.ts';
export { withTenant, asAppRole, tenantSchemaName, enterTenantSql, type TenantTx, type TenantDb } from './tenant-tx.ts';
export { migrateControl } from './control-migrations.ts';
export {
  loadTenantMigrations,
  applyTenantMigrations,
  migrateTenants,
  type TenantMigration,
  type TenantMigrationFailure,
  type TenantMigrationReport,
} from './tenant-migrations.ts';
export { withMigrationLock, MigrationLockBusyError } from './migration-lock.ts';
export {
  startEmbeddedPostgres,
  startTemporaryPostgres,
  ensureAppDatabase,
  freePort,
  type EmbeddedPostgresHandle,
} from './embedded.ts';
export { startPostgresServer, type PostgresServerHandle, type PostgresServerOptions } from './postgres-server.ts';
export { postgresRunAs } from './postgres-user.ts';
export { sharedDir, copyOnce, SHARED_ROOT } from './shared-dir.ts';
export { reachableBinDir } from './embedded-binaries.ts';
export { checkServerVersion, supportedMajor, MIN_POSTGRES_MAJOR, UnsupportedPostgresError } from './server-version.ts';
export { grantTenantRoleToApp, ensureAppRoleNoInherit } from './app-role.ts';
export { controlMigrationsDir, tenantMigrationsDir } from './paths.ts';
export { ChangeListener, AUTH_CHANGED_CHANNEL, type ChangeListenerOptions } from './change-listener.ts';
export { isDatabaseUnreachable, retryWhileUnreachable } from './unreachable.ts';
