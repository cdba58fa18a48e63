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
  maxAssistants: integer('max_assistants'),
  maxInboundHooks: integer('max_inbound_hooks'),
  maxWebhookEndpoints: integer('max_webhook_endpoints'),
  /** Bytes one conversation's workspace may hold. */
  workspaceBytes: bigint('workspace_bytes', { mode: 'number' }),
  /** `send_message` outputs, and their bytes, one turn may write. */
  turnMaxOutputs: integer('turn_max_outputs'),
  turnMaxOutputBytes: integer('turn_max_output_bytes'),
  /** CPU one sandbox may use, in percent of one core. */
  sandboxCpuPercent: integer('sandbox_cpu_percent'),
  /** Days answered messages, finished turns and archives are kept; null keeps them (the retention job). */
  retainMessagesDays: integer('retain_messages_days'),
  retainTurnsDays: integer('retain_turns_days'),
  retainArchivesDays: integer('retain_archives_days'),
  /** Scheduled tasks: how many may be active at once, and the shortest interval between runs. */
  maxActiveTasks: integer('max_active_tasks'),
  taskMinIntervalSeconds: integer('task_min_interval_seconds'),
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

/**
 * Which tenant a webhook endpoint belongs to: workers fan events out only for tenants listed
 * here. Nothing secret; the endpoint itself is in the tenant's `webhook_endpoints`, written in
 * the same transaction.
 */
export const webhookEndpoints = control.table(
  'webhook_endpoints',
  {
    id: text().primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);

/**
 * Which tenant an inbound hook belongs to: `POST /hooks/:id` carries no API key, and this
 * finds the tenant without looking into tenant schemas. Nothing secret; the hook itself is in
 * the tenant's `inbound_hooks`, written in the same transaction.
 */
export const inboundHooks = control.table(
  'inbound_hooks',
  {
    id: text().primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    createdAt: createdAt(),
  },
  (t) => [index('inbound_hooks_tenant_idx').on(t.tenantId)],
);

/**
 * Dashboard sign-ins: an API key (or the ops token) exchanged for a short-lived cookie. Only the
 * hash of the cookie's token is kept.
 */
export const dashboardSessions = control.table(
  'dashboard_sessions',
  {
    id: text().primaryKey(),
    /** SHA-256 of the cookie's token. */
    tokenHash: text('token_hash').notNull().unique(),
    /** The tenant signed in as; null for the ops console. */
    tenantId: text('tenant_id').references(() => tenants.id),
    /** The API key exchanged for it: revoking the key ends the session too. */
    apiKeyId: text('api_key_id').references(() => apiKeys.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('dashboard_sessions_tenant_idx').on(t.tenantId)],
);

/** One row per running worker, written every few seconds: what the ops console shows of them. */
export const workers = control.table('workers', {
  id: text().primaryKey(),
  host: text().notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  lastSeen: timestamp('last_seen', { withTimezone: true }).notNull(),
  sandboxesLive: integer('sandboxes_live').notNull().default(0),
});
