import { sql } from 'drizzle-orm';
import { bigint, bigserial, date, index, integer, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** The control plane: one row per tenant and everything the platform keeps about tenants. */
export const control = pgSchema('control');

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const tenants = control.table('tenants', {
  id: text().primaryKey(),
  name: text().notNull(),
  /** Postgres schema and role holding this tenant's data (same name for both). */
  schemaName: text('schema_name').notNull().unique(),
  status: text({ enum: ['provisioning', 'active', 'suspended'] })
    .notNull()
    .default('active'),
  /** Budgets enforced by the credential proxy; null means the platform default. */
  monthlyTokenBudget: bigint('monthly_token_budget', { mode: 'number' }),
  requestsPerMinute: integer('requests_per_minute'),
  /** Turns the tenant may run at once across all workers; null means the workers' default. */
  maxConcurrentTurns: integer('max_concurrent_turns'),
  /** Quotas; null means the platform default (see each enforcing process's config). */
  maxApiKeys: integer('max_api_keys'),
  maxConversations: integer('max_conversations'),
  /** Bytes one conversation's workspace may hold. */
  workspaceBytes: bigint('workspace_bytes', { mode: 'number' }),
  /** `send_message` outputs, and their bytes, one turn may write. */
  turnMaxOutputs: integer('turn_max_outputs'),
  turnMaxOutputBytes: integer('turn_max_output_bytes'),
  /** CPU one sandbox may use, in percent of one core. */
  sandboxCpuPercent: integer('sandbox_cpu_percent'),
  createdAt: createdAt(),
  suspendedAt: timestamp('suspended_at', { withTimezone: true }),
});

export const apiKeys = control.table(
  'api_keys',
  {
    id: text().primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text().notNull(),
    /** The first characters of the key, shown in listings so a human can tell keys apart. */
    prefix: text().notNull(),
    /** SHA-256 of the whole key; the key itself is shown once and never stored. */
    hash: text().notNull().unique(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);

/** One row per (tenant, tenant-migration tag) applied: the resume point of `warren migrate`. */
export const tenantMigrations = control.table(
  'tenant_migrations',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    version: text().notNull(),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] })],
);

/** Token usage metered by the credential proxy, written in batches (one row per flush). */
export const usage = control.table(
  'usage',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    day: date({ mode: 'string' }).notNull().default(sql`current_date`),
    model: text().notNull(),
    requests: integer().notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('usage_tenant_day_idx').on(t.tenantId, t.day)],
);

/** A tenant's own provider key, sealed so that only the credential proxy can open it. */
export const credentials = control.table(
  'credentials',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    provider: text({ enum: ['anthropic'] }).notNull(),
    sealed: text().notNull(),
    /** Last characters of the key, for the dashboard. */
    hint: text().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.provider] })],
);

/** Where a tenant wants replies delivered; the secret signs each delivery. */
export const webhookEndpoints = control.table(
  'webhook_endpoints',
  {
    id: text().primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    url: text().notNull(),
    secret: text().notNull(),
    events: text().array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);
