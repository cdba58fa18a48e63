import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { tenantMigrationsDir } from './paths.ts';
import type { Pool, PoolClient } from './pool.ts';
import { enterTenantSql, tenantSchemaName } from './tenant-tx.ts';

export interface TenantMigration {
  /** drizzle-kit's tag, e.g. `0001_add_priority`; recorded per tenant in control.tenant_migrations. */
  version: string;
  statements: string[];
}

const journalSchema = z.object({
  entries: z.array(z.object({ idx: z.number(), tag: z.string().regex(/^[\w-]+$/) })),
});

/**
 * Reads the tenant migration set written by drizzle-kit. Tenant tables have no schema in
 * drizzle, yet drizzle-kit qualifies foreign-key targets with "public"; dropping that
 * qualifier lets the statements resolve inside whichever tenant schema search_path names.
 */
export function loadTenantMigrations(dir = tenantMigrationsDir): TenantMigration[] {
  const journal = journalSchema.parse(JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')));
  return journal.entries
    .toSorted((a, b) => a.idx - b.idx)
    .map(({ tag }) => ({
      version: tag,
      statements: readFileSync(join(dir, `${tag}.sql`), 'utf8')
        .replaceAll('"public".', '')
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean),
    }));
}

/**
 * Applies migrations to one tenant inside the caller's open transaction. The DDL runs as the
 * tenant role, so a tenant migration can only ever touch that tenant's schema; the version
 * records are written as the app role, in the same transaction.
 */
export async function applyTenantMigrations(client: PoolClient, tenantId: string, migrations: readonly TenantMigration[]): Promise<void> {
  if (migrations.length === 0) return;
  await client.query(enterTenantSql(tenantSchemaName(tenantId)));
  for (const migration of migrations) {
    for (const statement of migration.statements) await client.query(statement);
  }
  await client.query('RESET ROLE; RESET search_path');
  await client.query(`INSERT INTO control.tenant_migrations (tenant_id, version) SELECT $1, unnest($2::text[])`, [
    tenantId,
    migrations.map((m) => m.version),
  ]);
}

export interface TenantMigrationFailure {
  tenantId: string;
  version: string;
  error: string;
}

export interface TenantMigrationReport {
  tenants: number;
  /** Tenants that had pending migrations and now have none. */
  migrated: number;
  upToDate: number;
  failed: TenantMigrationFailure[];
}

/**
 * Brings every tenant schema up to the given migration set, `concurrency` tenants at a time.
 * Each migration of each tenant commits on its own, so a failure leaves that tenant at its last
 * good version and a re-run resumes there; one failing tenant never stops the others.
 * Callers hold the migration lock (withMigrationLock).
 */
export async function migrateTenants(
  pool: Pool,
  options: {
    migrations?: readonly TenantMigration[];
    concurrency?: number;
    onStart?: (pendingTenants: number, totalTenants: number) => void;
    onTenantDone?: (tenantId: string, failure?: TenantMigrationFailure) => void;
  } = {},
): Promise<TenantMigrationReport> {
  const migrations = options.migrations ?? loadTenantMigrations();
  const { rows } = await pool.query<{ id: string; applied: string[] }>(
    `SELECT t.id, coalesce(array_agg(m.version) FILTER (WHERE m.version IS NOT NULL), '{}') AS applied
       FROM control.tenants t LEFT JOIN control.tenant_migrations m ON m.tenant_id = t.id
      WHERE t.status <> 'provisioning'
      GROUP BY t.id ORDER BY t.id`,
  );
  const work = rows
    .map((t) => ({ tenantId: t.id, pending: migrations.filter((m) => !t.applied.includes(m.version)) }))
    .filter((w) => w.pending.length > 0);
  options.onStart?.(work.length, rows.length);

  const failed: TenantMigrationFailure[] = [];
  let next = 0;
  const runOne = async () => {
    while (next < work.length) {
      const { tenantId, pending } = work[next++]!;
      const failure = await migrateOneTenant(pool, tenantId, pending);
      if (failure) failed.push(failure);
      options.onTenantDone?.(tenantId, failure);
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? 4, work.length));
  await Promise.all(Array.from({ length: lanes }, runOne));
  failed.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  return { tenants: rows.length, migrated: work.length - failed.length, upToDate: rows.length - work.length, failed };
}

async function migrateOneTenant(
  pool: Pool,
  tenantId: string,
  pending: readonly TenantMigration[],
): Promise<TenantMigrationFailure | undefined> {
  const client = await pool.connect();
  try {
    for (const migration of pending) {
      try {
        await client.query('BEGIN');
        await applyTenantMigrations(client, tenantId, [migration]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        return { tenantId, version: migration.version, error: err instanceof Error ? err.message : String(err) };
      }
    }
    return undefined;
  } finally {
    client.release();
  }
}
