import { and, count, desc, eq, gt, inArray, ne } from 'drizzle-orm';
import type { ControlDb } from './pool.ts';
import { tenantMigrations, tenants, workers } from './schema/control.ts';

export interface TenantBehind {
  id: string;
  name: string;
  /** How many of the known tenant migrations its schema lacks. */
  missing: number;
}

/** Tenants whose schema lacks some of `versions` (the tenant migrations this build knows). */
export async function tenantsBehind(db: ControlDb, versions: readonly string[]): Promise<TenantBehind[]> {
  const rows = await db
    .select({ id: tenants.id, name: tenants.name, applied: count(tenantMigrations.version) })
    .from(tenants)
    .leftJoin(tenantMigrations, and(eq(tenantMigrations.tenantId, tenants.id), inArray(tenantMigrations.version, [...versions])))
    .groupBy(tenants.id);
  return rows.filter((r) => r.applied < versions.length).map((r) => ({ id: r.id, name: r.name, missing: versions.length - r.applied }));
}

export type WorkerRow = typeof workers.$inferSelect;

/** Every worker writes its row every few seconds; one silent for `seenWithinSeconds` counts as gone. */
export function liveWorkers(db: ControlDb, seenWithinSeconds: number): Promise<WorkerRow[]> {
  return db
    .select()
    .from(workers)
    .where(gt(workers.lastSeen, new Date(Date.now() - seenWithinSeconds * 1000)))
    .orderBy(desc(workers.startedAt));
}

export async function writeWorkerHeartbeat(db: ControlDb, row: Omit<WorkerRow, 'lastSeen'>): Promise<void> {
  const lastSeen = new Date();
  await db
    .insert(workers)
    .values({ ...row, lastSeen })
    .onConflictDoUpdate({ target: workers.id, set: { lastSeen, sandboxesLive: row.sandboxesLive } });
}

/** Every provisioned tenant's id (a tenant still provisioning has no schema to read). */
export async function listTenantIds(db: ControlDb): Promise<string[]> {
  const rows = await db.select({ id: tenants.id }).from(tenants).where(ne(tenants.status, 'provisioning'));
  return rows.map((r) => r.id);
}
