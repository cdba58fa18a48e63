import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// Tenant tables are declared WITHOUT a schema: the same definitions serve every tenant,
// and `withTenant` points search_path at the tenant's own schema.

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const seq = (name: string) => bigint(name, { mode: 'number' });

export const triggerModes = ['always', 'mention', 'never'] as const;

export const conversations = pgTable(
  'conversations',
  {
    id: text().primaryKey(),
    /** The customer's own id for this conversation; unique within the tenant. */
    externalId: text('external_id'),
    title: text(),
    assistantName: text('assistant_name').notNull().default('Assistant'),
    triggerMode: text('trigger_mode', { enum: triggerModes }).notNull().default('always'),
    /** Regex source overriding the whole-word mention of `assistant_name`. */
    triggerPattern: text('trigger_pattern'),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** The assistant that answers here (its instructions, model, tools); null: the worker's defaults. */
    assistantId: text('assistant_id').references(() => assistants.id, { onDelete: 'set null' }),
    /** A pinned version of the assistant; null follows its current version. */
    assistantVersion: integer('assistant_version'),
    /** Highest message seq handed out; the next message takes last_seq + 1. */
    lastSeq: seq('last_seq').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('conversations_external_id_key').on(t.externalId),
    index('conversations_created_idx').on(t.createdAt),
    index('conversations_assistant_idx').on(t.assistantId),
  ],
);

/** The two cursors of a conversation (see DESIGN §3). */
export const cursors = pgTable('cursors', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  /** Messages up to here belong to a turn that was claimed. */
  seenSeq: seq('seen_seq').notNull().default(0),
  /** Messages up to here are answered and committed. */
  processedSeq: seq('processed_seq').notNull().default(0),
  updatedAt: updatedAt(),
});

export const messageRoles = ['user', 'assistant'] as const;

export const messages = pgTable(
  'messages',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: seq('seq').notNull(),
    role: text({ enum: messageRoles }).notNull(),
    /** Who wrote it, as the customer app names them (a user name, a bot, …). */
    sender: text(),
    content: text().notNull(),
    /** Assistant output before `<internal>` stripping, kept for debugging. */
    rawContent: text('raw_content'),
    turnId: text('turn_id'),
    /** Position of this output within its turn; with turn_id, the duplicate fence. */
    outSeq: integer('out_seq'),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('messages_conversation_seq_key').on(t.conversationId, t.seq),
    uniqueIndex('messages_turn_out_seq_key').on(t.turnId, t.outSeq).where(sql`turn_id IS NOT NULL`),
    // full-text search (GET /v1/search): the query repeats this expression so the index serves it
    index('messages_search_idx').using('gin', sql`to_tsvector('simple', content)`),
  ],
);

export const turnStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;

export const turns = pgTable(
  'turns',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    kind: text({ enum: ['message', 'task'] })
      .notNull()
      .default('message'),
    taskId: text('task_id'),
    /** A task turn's run; it covers no message seqs. */
    taskRunId: text('task_run_id'),
    status: text({ enum: turnStatuses }).notNull().default('queued'),
    /** The covered range (from_seq, to_seq]. */
    fromSeq: seq('from_seq').notNull(),
    toSeq: seq('to_seq').notNull(),
    jobId: text('job_id'),
    attempt: integer().notNull().default(0),
    outputSent: boolean('output_sent').notNull().default(false),
    /** Why the turn failed: a stable kind (see TurnErrorKind in packages/turns) and a message. */
    error: jsonb().$type<{ kind: string; message: string }>(),
    usage: jsonb().$type<{ inputTokens: number; outputTokens: number }>(),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** A running turn's worker renews this while it works; a lapsed lease frees the tenant slot. */
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** The worker running the turn: a slot of a worker whose liveness lock is gone is free at once (see WorkerLiveness). */
    workerId: text('worker_id'),
    /** The assistant version the turn ran with; null: the worker's defaults. */
    assistantVersionId: text('assistant_version_id'),
  },
  (t) => [
    index('turns_conversation_idx').on(t.conversationId, t.createdAt),
    index('turns_running_idx').on(t.leaseExpiresAt).where(sql`status = 'running'`),
  ],
);

/** The model history carried from turn to turn. */
export const sessions = pgTable('sessions', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  history: jsonb().$type<unknown[]>().notNull().default([]),
  version: integer().notNull().default(0),
  /** Tokens of the last model call (input + output) as the runner reported it: how near the history is to its compaction budget. */
  contextTokens: integer('context_tokens').notNull().default(0),
  updatedAt: updatedAt(),
});

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * Which worker may run a sandbox for a conversation: at most one at a time, anywhere. Taken
 * before a turn is claimed, renewed while the worker has a turn or a warm sandbox of the
 * conversation, deleted when both are gone; a lapsed lease (a dead worker) may be taken over.
 * `release_requested_at`: another worker wants the conversation; the owner closes its idle
 * sandbox after a grace period and lets go.
 */
export const sandboxOwners = pgTable('sandbox_owners', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  workerId: text('worker_id').notNull(),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
  releaseRequestedAt: timestamp('release_requested_at', { withTimezone: true }),
  updatedAt: updatedAt(),
});

/**
 * The durable copy of a conversation's workspace image (a sparse tar, zstd-compressed), written
 * with the commit of a turn that changed it; `version` goes up by one each time, so a host
 * whose local image is older restores this one before the sandbox starts.
 */
export const workspaceSnapshots = pgTable('workspace_snapshots', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  version: bigint({ mode: 'number' }).notNull(),
  /** Size of `data`, kept so the version check need not read it. */
  bytes: integer().notNull(),
  data: bytea().notNull(),
  updatedAt: updatedAt(),
});

/** A tenant's skill bundles (Agent Skills layout) by name; each upload is a new immutable version. */
export const skills = pgTable('skills', {
  name: text().primaryKey(),
  latestVersion: integer('latest_version').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const skillVersions = pgTable(
  'skill_versions',
  {
    name: text()
      .notNull()
      .references(() => skills.name, { onDelete: 'cascade' }),
    version: integer().notNull(),
    description: text().notNull(),
    /** Unpacked size and file count, as checked on upload. */
    bytes: integer().notNull(),
    files: integer().notNull(),
    /** The upload as received (a tar, maybe gzipped), read again with the same checks when a host unpacks it. */
    archive: bytea().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.name, t.version] })],
);

/**
 * Full transcripts saved before a history is compacted, in the transaction that stores the
 * compacted history: every message, tool call and result the model had, as it had them.
 */
export const archives = pgTable(
  'archives',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    reason: text().notNull(),
    transcript: jsonb().$type<unknown[]>().notNull(),
    /** The turn whose commit compacted the history. */
    turnId: text('turn_id'),
    messageCount: integer('message_count').notNull().default(0),
    /** What replaced the archived messages in the history. */
    summary: text().notNull().default(''),
    /** The context size (tokens of the last model call) that set the compaction off. */
    contextTokens: integer('context_tokens').notNull().default(0),
    /** Metered tokens of the conversation's turns since the previous archive (the credential proxy's figures). */
    usage: jsonb().$type<{ inputTokens: number; outputTokens: number; turns: number }>(),
    /** The transcript's text (messages, tool inputs and results), for full-text search; capped. */
    searchText: text('search_text').notNull().default(''),
    /**
     * Parsed once, when the archive is written: archives are long, and parsing each one again at
     * every search (as an expression index would, for ts_rank and whenever the planner scans)
     * costs about a millisecond per thousand words.
     */
    search: tsvector().generatedAlwaysAs(sql`to_tsvector('simple', search_text)`),
    createdAt: createdAt(),
  },
  (t) => [index('archives_conversation_idx').on(t.conversationId, t.id), index('archives_search_idx').using('gin', t.search)],
);

/** A tenant's assistants; what they are lives in immutable versions, `current_version` the one conversations follow. */
export const assistants = pgTable(
  'assistants',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    currentVersion: integer('current_version').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('assistants_name_key').on(t.name)],
);

/** One version of an assistant. Never updated: a change writes the next version. */
export const assistantVersions = pgTable(
  'assistant_versions',
  {
    id: text().primaryKey(),
    assistantId: text('assistant_id')
      .notNull()
      .references(() => assistants.id, { onDelete: 'cascade' }),
    version: integer().notNull(),
    name: text().notNull(),
    /** The system prompt of its turns. */
    instructions: text().notNull(),
    /** null: the worker's MODEL. */
    model: text(),
    /** null: the worker's TURN_MAX_TOKENS. */
    maxTokens: integer('max_tokens'),
    /** Tool names the model is offered; null: every tool. */
    tools: text().array(),
    /** Skill bundles the version carries (names). */
    skills: text().array().notNull().default(sql`'{}'::text[]`),
    /** The trigger a conversation created with this assistant gets unless it names its own. */
    triggerMode: text('trigger_mode', { enum: triggerModes }).notNull().default('always'),
    triggerPattern: text('trigger_pattern'),
    /** Overrides the worker's COMPACTION_BUDGET_TOKENS. */
    compactionBudgetTokens: integer('compaction_budget_tokens'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('assistant_versions_key').on(t.assistantId, t.version)],
);

export const taskStatuses = ['active', 'paused', 'cancelled', 'completed'] as const;
export const taskContexts = ['conversation', 'isolated'] as const;
export const missedPolicies = ['skip', 'run-once'] as const;
export const taskRunOutcomes = ['running', 'succeeded', 'failed', 'skipped', 'precheck_failed', 'missed'] as const;

/** A scheduled task: each run is a deferred queue job sent with the previous one (packages/tasks). */
export const tasks = pgTable(
  'tasks',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    prompt: text().notNull(),
    scheduleKind: text('schedule_kind', { enum: ['cron', 'interval', 'once'] }).notNull(),
    scheduleValue: text('schedule_value').notNull(),
    /** IANA zone a cron expression is read in. */
    timezone: text().notNull().default('UTC'),
    /** Intervals count from here, not from when the last run finished. */
    anchorAt: timestamp('anchor_at', { withTimezone: true }).notNull().defaultNow(),
    /** `conversation`: a turn with the conversation's history; `isolated`: fresh history, output still posted. */
    context: text({ enum: taskContexts }).notNull().default('conversation'),
    /** What a run found late after downtime does: skipped, or run once (further missed ones collapse into it). */
    missedPolicy: text('missed_policy', { enum: missedPolicies }).notNull().default('skip'),
    /** Runs in the sandbox first; only `{"wakeAgent": true}` costs a model call. */
    precheckScript: text('precheck_script'),
    status: text({ enum: taskStatuses }).notNull().default('active'),
    /** The one run a queued job may fire: a job for any other time is stale and does nothing. */
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('tasks_conversation_idx').on(t.conversationId)],
);

export const taskRuns = pgTable(
  'task_runs',
  {
    id: text().primaryKey(),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    /** The schedule's time for this run: a run is recorded once per (task, time). */
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }).notNull(),
    turnId: text('turn_id'),
    status: text({ enum: taskRunOutcomes }).notNull().default('running'),
    /** Why a run was skipped or failed. */
    reason: text(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('task_runs_task_idx').on(t.taskId, t.startedAt), uniqueIndex('task_runs_once').on(t.taskId, t.scheduledFor)],
);

const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * What happened in the tenant, written in the transaction that did it (see packages/events).
 * `id` is the event's durable id (the SSE id); streams read in `(xid, id)` order below the
 * oldest running transaction, so an event that commits late is never skipped.
 */
export const events = pgTable(
  'events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The writing transaction's id. */
    xid: xid8().notNull().default(sql`pg_current_xact_id()`),
    type: text().notNull(),
    conversationId: text('conversation_id'),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_position_idx').on(t.xid, t.id), index('events_conversation_idx').on(t.conversationId, t.xid, t.id)],
);

export const inboundHookSchemes = ['standard-webhooks', 'github'] as const;

/**
 * A public URL (`POST /hooks/:id`) that turns a signed webhook into a message. Its id is also
 * in `control.inbound_hooks`, which maps it to this tenant (the URL carries no API key).
 */
export const inboundHooks = pgTable('inbound_hooks', {
  id: text().primaryKey(),
  name: text().notNull(),
  scheme: text({ enum: inboundHookSchemes }).notNull(),
  /** The signing secret, sealed with the API's HOOK_SECRET_KEY; shown to the tenant once. */
  sealedSecret: text('sealed_secret').notNull(),
  /** Payload → conversation and text (see HookMapping in packages/inbound-hooks). */
  mapping: jsonb().$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * Inbound webhook deliveries accepted, with their raw payload; the key (hook, the sender's
 * webhook id) makes a redelivery an answer without a second message.
 */
export const webhookReceipts = pgTable(
  'webhook_receipts',
  {
    hookId: text('hook_id')
      .notNull()
      .references(() => inboundHooks.id, { onDelete: 'cascade' }),
    /** The sender's webhook id (`webhook-id`, `X-GitHub-Delivery`). */
    deliveryId: text('delivery_id').notNull(),
    /** The signature scheme it was verified with. */
    source: text().notNull(),
    conversationId: text('conversation_id'),
    messageId: text('message_id'),
    /** The bytes as signed. */
    payload: bytea().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.hookId, t.deliveryId] })],
);

/** Responses remembered per Idempotency-Key, so a retried request gets the same answer. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text().notNull(),
    key: text().notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/**
 * Where the tenant wants its events POSTed, signed per Standard Webhooks (packages/webhooks).
 * Its id is also in `control.webhook_endpoints`, so workers know which tenants to fan out for.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: text().primaryKey(),
  url: text().notNull(),
  description: text().notNull().default(''),
  /** Event types sent here; empty: every type. */
  eventTypes: text('event_types').array().notNull().default(sql`'{}'::text[]`),
  enabled: boolean().notNull().default(true),
  /** Why it was disabled: `failing` (by the sender, after a long run of failures) or `manual`. */
  disabledReason: text('disabled_reason', { enum: ['failing', 'manual'] }),
  /** The signing secret (`whsec_…`), sealed with HOOK_SECRET_KEY; shown to the tenant once. */
  sealedSecret: text('sealed_secret').notNull(),
  /** After a rotation the old secret also signs until `previous_secret_expires_at`. */
  sealedPreviousSecret: text('sealed_previous_secret'),
  previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
  /** Fan-out position in `events` (see packages/events): later events are not yet deliveries. */
  cursorXid: xid8('cursor_xid').notNull(),
  cursorId: bigint('cursor_id', { mode: 'number' }).notNull(),
  /** Failed attempts in a row, and when the run began; a success resets both. */
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  failingSince: timestamp('failing_since', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const webhookDeliveryStatuses = ['pending', 'sending', 'succeeded', 'failed'] as const;

/** One event for one endpoint. Its id is the `webhook-id` every attempt carries (receivers dedupe on it). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text().primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    eventType: text('event_type').notNull(),
    /** The body as sent (`{type, timestamp, data}`); kept so a retry sends the same bytes' content. */
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: webhookDeliveryStatuses }).notNull().default('pending'),
    /** Attempts made, manual ones included. */
    attempts: integer().notNull().default(0),
    /** The coming attempt was asked for by hand (a redelivery): no retries follow it. */
    manual: boolean().notNull().default(false),
    /** When the next attempt is due (status `pending`). */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    /** While `sending`: when a worker that died mid-attempt is given up on. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.endpointId, t.eventId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
  ],
);

/** Every attempt to deliver, as the receiver answered it (or why it could not). */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer().notNull(),
    /** `scheduled` (first send and retries) or `manual` (a redelivery asked for through the API). */
    trigger: text({ enum: ['scheduled', 'manual'] }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** The receiver's HTTP status; null when none came (refused destination, timeout, connection error). */
    statusCode: integer('status_code'),
    error: text(),
    /** The start of the receiver's answer (at most 1 KiB, as text). */
    responseBody: text('response_body'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
);
