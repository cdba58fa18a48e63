export { ensureAppRoleNoInherit, grantTenantRoleToApp } from './app-role.ts';
export { AUTH_CHANGED_CHANNEL, ChangeListener, type ChangeListenerOptions } from './change-listener.ts';
export { addToControlIndex, type ControlIndex, removeFromControlIndex } from './control-index.ts';
export { migrateControl } from './control-migrations.ts';
export {
  type EmbeddedPostgresHandle,
  ensureAppDatabase,
  freePort,
  startEmbeddedPostgres,
  startTemporaryPostgres,
} from './embedded.ts';
export { reachableBinDir } from './embedded-binaries.ts';
export { MigrationLockBusyError, withMigrationLock } from './migration-lock.ts';
export { listTenantIds, liveWorkers, type TenantBehind, tenantsBehind, type WorkerRow, writeWorkerHeartbeat } from './ops-views.ts';
export { controlMigrationsDir, tenantMigrationsDir } from './paths.ts';
export { type ControlDb, controlDb, createPool, type Pool, type PoolClient, type PoolOptions } from './pool.ts';
export { type PostgresServerHandle, type PostgresServerOptions, startPostgresServer } from './postgres-server.ts';
export { postgresRunAs } from './postgres-user.ts';
export * as controlSchema from './schema/control.ts';
export * as tenantSchema from './schema/tenant.ts';
export { checkServerVersion, MIN_POSTGRES_MAJOR, supportedMajor, UnsupportedPostgresError } from './server-version.ts';
export { copyOnce, SHARED_ROOT, sharedDir } from './shared-dir.ts';
export {
  applyTenantMigrations,
  loadTenantMigrations,
  migrateTenants,
  type TenantMigration,
  type TenantMigrationFailure,
  type TenantMigrationReport,
} from './tenant-migrations.ts';
export { asAppRole, enterTenantSql, type TenantDb, type TenantTx, tenantSchemaName, withTenant } from './tenant-tx.ts';
export { isDatabaseUnreachable, retryWhileUnreachable } from './unreachable.ts';
