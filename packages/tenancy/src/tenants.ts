import { newId } from '@warren/core';
import {
  applyTenantMigrations,
  type ControlDb,
  controlDb,
  controlSchema,
  grantTenantRoleToApp,
  loadTenantMigrations,
  type Pool,
  type TenantMigration,
  tenantSchemaName,
} from '@warren/db';
import { asc, eq, gt } from 'drizzle-orm';
import { createApiKey, type NewApiKey } from './api-keys.ts';

const { tenants } = controlSchema;

export type Tenant = typeof tenants.$inferSelect;

/** What ops may set per tenant; null means the platform default. */
export interface TenantLimits {
  monthlyTokenBudget: number | null;
  requestsPerMinute: number | null;
  maxConcurrentTurns: number | null;
  maxApiKeys: number | null;
  maxConversations: number | null;
  maxAssistants: number | null;
  maxInboundHooks: number | null;
  maxWebhookEndpoints: number | null;
  workspaceBytes: number | null;
  turnMaxOutputs: number | null;
  turnMaxOutputBytes: number | null;
  sandboxCpuPercent: number | null;
  retainMessagesDays: number | null;
  retainTurnsDays: number | null;
  retainArchivesDays: number | null;
  maxActiveTasks: number | null;
  taskMinIntervalSeconds: number | null;
}

export const tenantLimitKeys = [
  'monthlyTokenBudget',
  'requestsPerMinute',
  'maxConcurrentTurns',
  'maxApiKeys',
  'maxConversations',
  'maxAssistants',
  'maxInboundHooks',
  'maxWebhookEndpoints',
  'workspaceBytes',
  'turnMaxOutputs',
  'turnMaxOutputBytes',
  'sandboxCpuPercent',
  'retainMessagesDays',
  'retainTurnsDays',
  'retainArchivesDays',
  'maxActiveTasks',
  'taskMinIntervalSeconds',
] as const satisfies readonly (keyof TenantLimits)[];

export interface ProvisionedTenant {
  tenant: Tenant;
  apiKey: NewApiKey;
}

/**
 * Creates a tenant in one transaction: its NOLOGIN role, its schema owned by that role, the
 * tenant tables (the current migration set, applied as the tenant role), the control row and
 * a first API key. Nothing is left behind if any step fails.
 */
export async function provisionTenant(
  pool: Pool,
  input: { name: string } & Partial<TenantLimits>,
  migrations: readonly TenantMigration[] = loadTenantMigrations(),
): Promise<ProvisionedTenant> {
  const id = newId('tenant');
  const schemaName = tenantSchemaName(id);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const db = controlDb(client);
    const [tenant] = await db
      .insert(tenants)
      .values({
        id,
        name: input.name,
        schemaName,
        ...Object.fromEntries(tenantLimitKeys.map((key) => [key, input[key] ?? null])),
      })
      .returning();
    // The app role may SET ROLE to the tenant but does not inherit its rights: outside
    // withTenant it cannot read tenant tables at all.
    await client.query(`CREATE ROLE "${schemaName}" NOLOGIN`);
    await grantTenantRoleToApp(client, schemaName);
    await client.query(`CREATE SCHEMA "${schemaName}" AUTHORIZATION "${schemaName}"`);
    await applyTenantMigrations(client, id, migrations);
    const apiKey = await createApiKey(db, id, 'default');
    await client.query('COMMIT');
    return { tenant: tenant!, apiKey };
  } catch (err) {
    // The provisioning error is the one to report; a client whose rollback failed is destroyed, not reused.
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

export async function getTenant(db: ControlDb, id: string): Promise<Tenant | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  return row;
}

/** Tenants in id (creation) order, `after` being the last id of the previous page. */
export function listTenants(db: ControlDb, page: { after?: string; limit: number }): Promise<Tenant[]> {
  return db
    .select()
    .from(tenants)
    .where(page.after ? gt(tenants.id, page.after) : undefined)
    .orderBy(asc(tenants.id))
    .limit(page.limit);
}

export async function setTenantStatus(db: ControlDb, id: string, status: 'active' | 'suspended'): Promise<Tenant | undefined> {
  const [row] = await db
    .update(tenants)
    .set({ status, suspendedAt: status === 'suspended' ? new Date() : null })
    .where(eq(tenants.id, id))
    .returning();
  return row;
}

/** Changes the given limits and leaves the others; the control trigger tells every process. */
export async function setTenantLimits(db: ControlDb, id: string, limits: Partial<TenantLimits>): Promise<Tenant | undefined> {
  const [row] = await db.update(tenants).set(limits).where(eq(tenants.id, id)).returning();
  return row;
}
